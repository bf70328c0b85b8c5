using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Repositories reached through <c>borg serve</c> (<c>ssh://</c> locations): dumps, archiving and restore end to end.
/// There is no sshd here, so <c>BORG_RSH</c> is a stand-in for ssh that drops ssh's options and the host and runs the
/// remote command — the real <c>borg serve</c> — on this machine: everything between pgborg and the repository goes
/// through Borg's remote protocol, as it would over ssh.
/// </summary>
public sealed class RemoteRepositoryTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly TempDir _target = new("pgborg-remote");
    private readonly SshStandIn _ssh;
    private string Location => SshStandIn.Location(_sandbox.Repository);

    public RemoteRepositoryTests() => _ssh = new SshStandIn(_sandbox);

    public void Dispose()
    {
        _sandbox.Dispose();
        _target.Dispose();
    }

    private string Remote(string config) => _ssh.Remote(config, _sandbox.Repository);

    private string[] Served() => _ssh.Served();

    [Fact(Timeout = 300_000)]
    public async Task Dumps_go_into_a_new_remote_repository_and_come_back_out()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        await cluster.SqlAsync("CREATE DATABASE \"remote db\"");
        await cluster.SqlAsync("CREATE TABLE items AS SELECT g, md5(g::text) AS h FROM generate_series(1, 2000) g", "remote db");
        var config = Remote(_sandbox.DumpConfig(cluster));
        Assert.Contains(Location, config);
        _sandbox.WriteConfig(config);

        var round = await _sandbox.PgBorgAsync(["pgdumpd", "--once"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(round.ExitCode == 0, round.ToString());
        Assert.True(File.Exists(Path.Combine(_sandbox.Repository, "config")), "pgborg did not initialise the remote repository");
        Assert.Contains(Served(), l => l.StartsWith("root pgborg-remote borg serve", StringComparison.Ordinal));
        var list = await _sandbox.PgBorgAsync("pgdumprestore", "list", "remote db");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("remote db", list.Stdout);
        var toc = await _sandbox.PgBorgAsync("pgdumprestore", "extract", "remote db", "--", "pg_restore", "-l");
        Assert.True(toc.ExitCode == 0, toc.ToString());
        Assert.Contains("TABLE DATA public items", toc.Stdout);

        await cluster.SqlAsync("CREATE DATABASE back");
        var restore = await _sandbox.PgBorgAsync("pgdumprestore", "extract", "remote db", "--",
            "pg_restore", "--no-owner", "-h", cluster.SocketDirectory, "-p", cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", "back");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(await cluster.SqlAsync("SELECT count(*), sum(g), max(h) FROM items", "remote db"), await cluster.SqlAsync("SELECT count(*), sum(g), max(h) FROM items", "back"));

        // the same repository used by its local path with the same Borg state: Borg then asks whether the repository
        // moved; pgborg never answers yes, and says what Borg asked and how to allow it
        Assert.Contains(await _sandbox.ArchiveNamesAsync(), n => n.Contains("~dump~remote+20db~", StringComparison.Ordinal));
        var moved = await _sandbox.PgBorgAsync("pgdumprestore", "list", "remote db");
        Assert.Equal(1, moved.ExitCode);
        Assert.Contains($"borg list failed on repository {Location}: Borg would not go on without a confirmation: Warning: The repository at location {Location} was previously located at {_sandbox.Repository}", moved.Stderr);
        Assert.Contains("set BORG_RELOCATED_REPO_ACCESS_IS_OK=yes in the repository's environment", moved.Stderr);
    }

    [Fact(Timeout = 300_000)]
    public async Task An_append_only_borg_serve_takes_dumps_and_prunes_without_losing_anything()
    {
        // the ransomware-proof setup: the server forces `borg serve --append-only`; pruning only marks archives
        // deleted (the data stays until the server's owner compacts), and nothing fails
        _ssh.Write("--append-only");
        await using var cluster = await PostgresCluster.StartAsync();
        _sandbox.WriteConfig(Remote(_sandbox.DumpConfig(cluster, extraDump: Sandbox.KeepNewestOfTheHour)));
        List<string> segments = [];
        for (var round = 0; round < 2; round++)
        {
            var r = await _sandbox.PgBorgAsync(["pgdumpd", "--once"], null, timeout: TimeSpan.FromMinutes(3));
            Assert.True(r.ExitCode == 0, r.ToString());
            if (round == 0)
            {
                segments = Segments();
                await Task.Delay(1100);
            }
        }
        Assert.Contains(Served(), l => l.StartsWith("root pgborg-remote borg serve", StringComparison.Ordinal) && l.EndsWith(" --append-only", StringComparison.Ordinal));
        var list = await _sandbox.PgBorgAsync("pgdumprestore", "list", "postgres");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Single(list.Stdout.Split('\n'), l => l.Contains("~dump~postgres~", StringComparison.Ordinal));
        var toc = await _sandbox.PgBorgAsync("pgdumprestore", "extract", "postgres", "--", "pg_restore", "-l");
        Assert.True(toc.ExitCode == 0, toc.ToString());
        // pruned, yet nothing was removed from the repository: every segment of the first round is still there
        // (a normal `borg compact` after the prune rewrites and deletes the segments it frees)
        Assert.Empty(segments.Except(Segments()));
    }

    private List<string> Segments() =>
        Directory.EnumerateFiles(Path.Combine(_sandbox.Repository, "data"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

    [Fact(Timeout = 300_000)]
    public async Task A_cluster_archived_into_a_remote_repository_is_restored_from_it()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        var config = Remote(_sandbox.ArchiveConfig(cluster));
        Assert.Contains(Location, config);
        await ArchivedWorkload.CreateAsync(cluster, _sandbox, switches: 3, config);
        Assert.Contains(Served(), l => l.StartsWith("root pgborg-remote borg serve", StringComparison.Ordinal));

        var data = Path.Combine(_target.Path, "data");
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        try
        {
            await using var server = await RestoredServer.StartAsync(data, 47501 + Environment.ProcessId % 400);
            await server.WaitPromotedAsync();
            Assert.Equal("4000", await server.SqlAsync("SELECT count(*) FROM t"));
        }
        finally
        {
            await WalExtractors.KillUnderAsync(_target.Path);
        }
    }
}
