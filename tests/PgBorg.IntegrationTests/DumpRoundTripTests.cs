using System.Text.Json;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>One cluster with databases of every awkward kind, dumped once by the published binary; each test restores from that round.</summary>
public sealed class DumpedClusterFixture : IAsyncLifetime
{
    public static readonly string[] Names =
    [
        "my-db", "with space", "ünïcödé", "a/b", "\"q\"", "_x", new string('ü', 31) + "a", "it's", "tab\there", "semi;colon=1",
    ];

    public PostgresCluster Cluster { get; private set; } = null!;
    public Sandbox Sandbox { get; } = new();
    public RunResult Round { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Cluster = await PostgresCluster.StartAsync();
        await Cluster.SqlAsync("CREATE ROLE pgborg_test_role LOGIN");
        foreach (var name in Names)
        {
            await Cluster.SqlAsync($"CREATE DATABASE {PostgresCluster.Ident(name)}");
            await Cluster.SqlAsync(
                $"CREATE TABLE t (id int PRIMARY KEY, payload text NOT NULL); INSERT INTO t SELECT g, {PostgresCluster.Literal(name)} || ':' || md5(g::text) FROM generate_series(1, 2000) g;",
                name);
        }
        Sandbox.WriteConfig(Sandbox.DumpConfig(Cluster));
        Round = await Sandbox.PgBorgAsync("pgdumpd", "--once");
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Sandbox.Dispose();
    }

    public static string Checksum => "SELECT count(*) || '/' || md5(string_agg(id || ':' || payload, ',' ORDER BY id)) FROM t";
}

public sealed class DumpRoundTripTests(DumpedClusterFixture f) : IClassFixture<DumpedClusterFixture>
{
    public static TheoryData<string> Names => new(DumpedClusterFixture.Names);

    [Fact(Timeout = 120_000)]
    public Task The_round_succeeds_for_every_database()
    {
        Assert.True(f.Round.ExitCode == 0, f.Round.ToString());
        foreach (var name in DumpedClusterFixture.Names)
        {
            Assert.Contains($"dumped database {name} into", f.Round.Stderr);
        }
        Assert.Contains("dumped globals into", f.Round.Stderr);
        Assert.DoesNotContain(Sandbox.Passphrase, f.Round.Stderr);
        return Task.CompletedTask;
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Names))]
    public async Task Each_database_restores_into_a_fresh_database_with_identical_content(string name)
    {
        var target = "restored_" + Guid.NewGuid().ToString("N")[..8];
        await f.Cluster.SqlAsync($"CREATE DATABASE {target}");
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "extract", name, "--", "pg_restore", "--no-owner", "-d", target);
        Assert.True(r.ExitCode == 0, r.ToString());
        var original = await f.Cluster.SqlAsync(DumpedClusterFixture.Checksum, name);
        var restored = await f.Cluster.SqlAsync(DumpedClusterFixture.Checksum, target);
        Assert.StartsWith("2000/", original);
        Assert.Equal(original, restored);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Names))]
    public async Task Extract_to_stdout_is_a_valid_custom_format_dump(string name)
    {
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "extract", name);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("PGDMP", r.Stdout);
    }

    [Fact(Timeout = 120_000)]
    public async Task List_json_names_every_database_and_the_globals()
    {
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "list", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        var items = doc.RootElement.EnumerateArray().ToList();
        var databases = items.Where(i => i.GetProperty("kind").GetString() == "dump").Select(i => i.GetProperty("database").GetString()).ToHashSet();
        foreach (var name in DumpedClusterFixture.Names.Append("postgres"))
        {
            Assert.Contains(name, databases);
        }
        Assert.Single(items, i => i.GetProperty("kind").GetString() == "globals");
        Assert.All(items, i => Assert.Equal(15, i.GetProperty("pgVersion").GetInt32()));
    }

    [Fact(Timeout = 120_000)]
    public async Task Archives_are_ascii_names_with_metadata_in_the_comment_and_nothing_partial_is_left()
    {
        var names = await f.Sandbox.ArchiveNamesAsync();
        Assert.Equal(DumpedClusterFixture.Names.Length + 2, names.Count); // + postgres + globals
        Assert.All(names, n =>
        {
            Assert.True(n.All(c => c < 128 && c != ' ' && c != '/'), n);
            Assert.DoesNotContain("partial", n);
            Assert.DoesNotContain(".checkpoint", n);
            Assert.Matches(@"~\d{8}T\d{6}Z$", n);
        });
        var info = await f.Sandbox.BorgAsync("info", "--json", "::" + names.First(n => n.Contains("~dump~my-db~")));
        Assert.Contains("\\\"database\\\":\\\"my-db\\\"", info.Stdout);
    }

    [Fact(Timeout = 120_000)]
    public async Task Globals_dump_holds_the_roles()
    {
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "extract", "--globals");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("CREATE ROLE pgborg_test_role", r.Stdout);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_documented_pg_restore_list_sequence_works_through_the_symlink_from_a_root_only_directory()
    {
        using var work = new TempDir("pgborg-cwd");
        File.SetUnixFileMode(work.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // like `cd $(mktemp -d)` as root
        var links = await f.Sandbox.PgBorgAsync("install-links", work.Path);
        Assert.True(links.ExitCode == 0, links.ToString());
        var pgdumprestore = Path.Combine(work.Path, "pgdumprestore");

        // pgdumprestore extract my-db -- pg_restore -l >list-file
        var list = await f.Sandbox.PgBorgAsync(["extract", "my-db", "--", "pg_restore", "-l"], null, work.Path, program: pgdumprestore);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("TABLE public t", list.Stdout);
        await File.WriteAllTextAsync(Path.Combine(work.Path, "list-file"), list.Stdout);

        var before = await f.Cluster.SqlAsync(DumpedClusterFixture.Checksum, "my-db");
        await f.Cluster.SqlAsync("DELETE FROM t WHERE id > 10", "my-db");

        // pgdumprestore extract my-db -- pg_restore -L list-file -c -d my-db
        var restore = await f.Sandbox.PgBorgAsync(["extract", "my-db", "--", "pg_restore", "-L", "list-file", "-c", "-d", "my-db"], null, work.Path, program: pgdumprestore);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(before, await f.Cluster.SqlAsync(DumpedClusterFixture.Checksum, "my-db"));

        // any other command gets no capability from there: it might run what the service user wrote (~/.psqlrc)
        var other = await f.Sandbox.PgBorgAsync(["extract", "my-db", "--", "/bin/grep", "^CapAmb", "/proc/self/status"], null, work.Path, program: pgdumprestore);
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.Equal("CapAmb:\t0000000000000000", other.Stdout.Trim());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_failing_command_makes_extract_fail()
    {
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "extract", "my-db", "--", "pg_restore", "-d", "no_such_database");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("pg_restore exited with code 1", r.Stderr);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_command_that_reads_only_the_start_and_succeeds_is_a_success()
    {
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "extract", "my-db", "--", "head", "-c", "5");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("PGDMP", r.Stdout);
    }

    [Fact(Timeout = 120_000)]
    public async Task Unknown_database_exits_3_and_lists_what_exists()
    {
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "extract", "no_such_db");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no dump of database 'no_such_db'", r.Stderr);
        Assert.Contains("'my-db'", r.Stderr);
        Assert.Contains("--globals", r.Stderr);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("extract")]
    [InlineData("extract", "my-db", "--globals")]
    [InlineData("extract", "--time", "yesterday-ish", "my-db")]
    public async Task Bad_extract_usage_exits_2(params string[] args)
    {
        var r = await f.Sandbox.PgBorgAsync(["pgdumprestore", .. args], null);
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact(Timeout = 120_000)]
    public async Task Nothing_at_or_before_the_time_exits_3()
    {
        var r = await f.Sandbox.PgBorgAsync("pgdumprestore", "extract", "--time", "2001-01-01", "my-db");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no dump of database 'my-db' at or before 2001-01-01", r.Stderr);
    }
}
