using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>Everything that can go wrong during a dump round, with real PostgreSQL and real Borg.</summary>
public sealed class DumpFailureTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync();
        foreach (var db in new[] { "good1", "bad", "good2" })
        {
            await _cluster.SqlAsync($"CREATE DATABASE {db}");
            await _cluster.SqlAsync("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g", db);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    [Fact(Timeout = 180_000)]
    public async Task A_pg_dump_failing_half_way_never_becomes_an_archive_and_the_other_databases_are_still_dumped()
    {
        using var bin = new FakeBin(new Dictionary<string, string>
        {
            // for database "bad": write part of a real dump, then fail like a lost connection would
            ["pg_dump"] = """
                if [[ "$*" == *"dbname='bad'"* ]]; then "$REAL" "$@" | head -c 20000; echo "pg_dump: error: connection lost" >&2; exit 1; fi
                exec "$REAL" "$@"
                """,
        });
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster, extraInstance: $"bin_directory = \"{bin.Path}\""));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("dump of database bad failed", r.Stderr);
        Assert.Contains("connection lost", r.Stderr);
        Assert.Contains("dumped database good1", r.Stderr);
        Assert.Contains("dumped database good2", r.Stderr);
        var names = await _sandbox.ArchiveNamesAsync();
        Assert.DoesNotContain(names, n => n.Contains("~bad~"));
        Assert.DoesNotContain(names, n => n.Contains("partial") || n.EndsWith(".checkpoint"));

        var extract = await _sandbox.PgBorgAsync("pgdumprestore", "extract", "bad");
        Assert.Equal(3, extract.ExitCode);

        // the next round (fixed pg_dump) retries it
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        var again = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains(await _sandbox.ArchiveNamesAsync(), n => n.Contains("~dump~bad~"));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_database_dropped_during_the_round_is_skipped_not_failed()
    {
        await _cluster.SqlAsync("CREATE DATABASE doomed");
        using var bin = new FakeBin(new Dictionary<string, string>
        {
            // the database disappears between listing and dumping
            ["pg_dump"] = $"""
                if [[ "$*" == *"dbname='doomed'"* ]]; then "$(dirname "$REAL")/psql" -X -q -h '{_cluster.SocketDirectory}' -p {_cluster.Port} -d postgres -c 'DROP DATABASE doomed WITH (FORCE)'; fi
                exec "$REAL" "$@"
                """,
        });
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster, extraInstance: $"bin_directory = \"{bin.Path}\""));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("database doomed was dropped during the round; skipped", r.Stderr);
        var names = await _sandbox.ArchiveNamesAsync();
        Assert.DoesNotContain(names, n => n.Contains("doomed"));
        Assert.Contains(names, n => n.Contains("~dump~good2~"));
    }

    [Fact(Timeout = 180_000)]
    public async Task PostgreSQL_down_fails_the_instance_with_the_reason_and_touches_no_repository()
    {
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        await _cluster.StopAsync();
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("cannot query PostgreSQL", r.Stderr);
        Assert.False(Directory.Exists(_sandbox.Repository));
    }

    [Fact(Timeout = 180_000)]
    public async Task Wrong_passphrase_fails_clearly()
    {
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        Assert.Equal(0, (await _sandbox.PgBorgAsync("pgdumpd", "--once")).ExitCode);
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster).Replace(Sandbox.Passphrase, "not the passphrase"));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("wrong passphrase", r.Stderr);
        var list = await _sandbox.PgBorgAsync("pgdumprestore", "list");
        Assert.Equal(1, list.ExitCode);
        Assert.Contains("wrong passphrase", list.Stderr);
        Assert.DoesNotContain("not the passphrase", list.Stderr + r.Stderr);
    }

    [Fact(Timeout = 180_000)]
    public async Task Unreachable_repository_fails_clearly()
    {
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster).Replace($"repository = \"{_sandbox.Repository}\"",
            "repository = \"ssh://nobody@127.0.0.1:1/./repo\"\nlock_wait = \"5s\"\nenvironment = { BORG_RSH = \"ssh -o BatchMode=yes -o ConnectTimeout=5\" }"));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ssh://nobody@127.0.0.1:1/./repo", r.Stderr);
        Assert.Contains("failed", r.Stderr);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_server_that_is_not_the_configured_instance_is_refused()
    {
        await using var other = await PostgresCluster.StartAsync();
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster, extraInstance: $"port = {other.Port}\nsocket_directory = \"{other.SocketDirectory}\""));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("refusing to dump the wrong server", r.Stderr);
    }

    [Fact(Timeout = 180_000)]
    public async Task Borg_warnings_count_as_success_and_the_passphrase_never_reaches_argv()
    {
        using var bin = new FakeBin(new Dictionary<string, string>());
        var argvLog = Path.Combine(bin.Path, "argv.log");
        var fakeBorg = bin.Script("borg", $"""
            echo "$@" >> '{argvLog}'
            [ -n "$BORG_PASSPHRASE" ] || echo "NO PASSPHRASE IN ENVIRONMENT" >> '{argvLog}'
            /usr/bin/borg "$@"; rc=$?
            # Borg 1.2 exits 1 for warnings (e.g. a file changed while read): pgborg must treat that as success
            if [ "$1" = create ] && [ $rc = 0 ]; then exit 1; fi
            exit $rc
            """);
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        var r = await _sandbox.PgBorgAsync(["pgdumpd", "--once"], new Dictionary<string, string> { ["PGBORG_BORG"] = fakeBorg });
        Assert.True(r.ExitCode == 0, r.ToString());
        var argv = await File.ReadAllTextAsync(argvLog);
        Assert.Contains("create", argv);
        Assert.Contains("--lock-wait", argv);
        Assert.DoesNotContain(Sandbox.Passphrase, argv);
        Assert.DoesNotContain("NO PASSPHRASE", argv);
        Assert.Contains(await _sandbox.ArchiveNamesAsync(), n => n.Contains("~dump~good1~"));
    }
}
