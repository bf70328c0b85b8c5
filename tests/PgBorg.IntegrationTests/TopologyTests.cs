using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// pgcad in the clusters people run: a data directory reached through a symlink, a wrong port, a standby among the
/// instances, and an instance that is down while the others must go on.
/// </summary>
public sealed class TopologyTests : IAsyncLifetime
{
    private readonly Sandbox _sandbox = new();
    private readonly TempDir _dir = new("pgborg-topology");
    private readonly List<IAsyncDisposable> _servers = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Enumerable.Reverse(_servers))
        {
            await s.DisposeAsync();
        }
        _sandbox.Dispose();
        _dir.Dispose();
    }

    private async Task<PostgresCluster> ClusterAsync(string? dataDirectory = null, string conf = "")
    {
        var c = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + conf, dataDirectory);
        _servers.Add(c);
        return c;
    }

    private string Config(params (string Name, string DataDirectory, string Extra)[] instances) => $"""
        state_directory = "{_sandbox.StateDirectory}"

        [discovery]
        debian = false
        systemd = false

        {string.Join("\n", instances.Select(i => $"[instances.{i.Name}]\ndata_directory = \"{i.DataDirectory}\"\n{i.Extra}\n"))}
        [archive]
        repository = "{_sandbox.Repository}"
        passphrase = "{Sandbox.Passphrase}"
        snapshot = "direct"
        ingest_interval = "1s"
        """;

    private Task<RunResult> OnceAsync() => _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));

    private async Task<List<string>> ArchivedWalAsync(string instance) =>
        (await _sandbox.ArchiveNamesAsync()).Where(n => n.Contains($"~{instance}~", StringComparison.Ordinal) && n.Contains("~wal~", StringComparison.Ordinal)).ToList();

    [Fact(Timeout = 300_000)]
    public async Task A_data_directory_reached_through_a_symlink_is_archived_with_its_spool_next_to_the_physical_directory()
    {
        var physical = _dir.Sub("srv/pgdata");
        Directory.CreateDirectory(physical);
        var link = _dir.Sub("data");
        File.CreateSymbolicLink(link, physical);
        var cluster = await ClusterAsync(link);
        Assert.Equal(link, await cluster.SqlAsync("SHOW data_directory"));
        _sandbox.WriteConfig(Config(("main", link, "")));

        var r = await OnceAsync();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(Directory.Exists(physical + ".pgborg-spool"), "no spool next to the physical data directory");
        Assert.False(Directory.Exists(link + ".pgborg-spool"), "a spool next to the symlink, where wal-push never looks");
        var segment = await cluster.SwitchAndWaitArchivedAsync();
        Assert.Equal("0", await cluster.SqlAsync("SELECT failed_count FROM pg_stat_archiver"));
        r = await OnceAsync();
        Assert.True(r.ExitCode == 0, r.ToString());
        var files = (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles);
        Assert.Contains(segment, files);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_port_that_reaches_another_cluster_is_refused_naming_both()
    {
        var configured = await ClusterAsync();
        var other = await ClusterAsync();
        _sandbox.WriteConfig(Config(("main", configured.DataDirectory, $"port = {other.Port}\nsocket_directory = \"{other.SocketDirectory}\"")));
        var r = await OnceAsync();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"serves data directory {other.DataDirectory}, not the configured {configured.DataDirectory}", r.Stderr);
        Assert.False(Directory.Exists(configured.DataDirectory + ".pgborg-spool"));
        Assert.False(Directory.Exists(other.DataDirectory + ".pgborg-spool"));
        Assert.False(Directory.Exists(_sandbox.Repository));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_standby_among_the_instances_is_refused_in_one_line_and_the_primary_is_archived()
    {
        var primary = await ClusterAsync();
        var standbyData = _dir.Sub("standby");
        Directory.CreateDirectory(standbyData, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", standbyData);
        await Run.AsPostgresAsync($"{PostgresCluster.Bin}/pg_basebackup", "-h", primary.SocketDirectory, "-p", primary.Port.ToString(), "-D", standbyData, "-R", "-X", "stream", "-c", "fast");
        var standby = await RestoredServer.StartAsync(standbyData, primary.Port + 7);
        _servers.Add(standby);
        Assert.Equal("t", await standby.SqlAsync("SELECT pg_is_in_recovery()"));
        _sandbox.WriteConfig(Config(
            ("primary", primary.DataDirectory, ""),
            ("replica", standbyData, $"port = {standby.Port}\nsocket_directory = \"{standby.SocketDirectory}\"")));

        var r = await OnceAsync();
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n').Where(l => l.Contains("is a standby", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, r.Stderr);
        Assert.Contains("replica", lines[0]);
        Assert.Contains(await new ArchiveInspector(_sandbox).CyclesAsync(), c => c.Base is not null && c.Base.Value.GetProperty("complete").GetBoolean());
        Assert.False(Directory.Exists(standbyData + ".pgborg-spool"));
    }

    [Fact(Timeout = 400_000)]
    public async Task An_instance_that_is_down_is_reported_and_retried_while_the_other_keeps_archiving()
    {
        var healthy = await ClusterAsync();
        var down = await ClusterAsync();
        await down.StopAsync();
        _sandbox.WriteConfig(Config(("healthy", healthy.DataDirectory, ""), ("down", down.DataDirectory, "")));

        await using var daemon = new DaemonProcess(_sandbox, ["pgcad"]);
        await daemon.WaitForAsync(d => d.Messages.Contains("READY=1"), TimeSpan.FromSeconds(120), "READY=1");
        Assert.Contains(daemon.Messages, m => m.StartsWith("STATUS=", StringComparison.Ordinal) && m.Contains("down: failing", StringComparison.Ordinal));
        Assert.Contains("down: archiving round failed", daemon.Stderr);
        // the healthy instance's WAL goes on reaching Borg, round after round, while the other fails
        for (var i = 0; i < 3; i++)
        {
            var segment = await healthy.SwitchAndWaitArchivedAsync();
            await daemon.WaitForAsync(_ => ArchivedWalAsync("healthy").Result.Any(n => n.Contains(segment, StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), $"{segment} in Borg");
        }
        Assert.True(daemon.Stderr.Split('\n').Count(l => l.Contains("down: archiving round failed", StringComparison.Ordinal)) >= 2, daemon.Stderr);
        Assert.Empty(await ArchivedWalAsync("down"));

        // the instance comes back: its own retry takes its base, without a restart of pgcad
        await down.StartAgainAsync();
        await daemon.WaitForAsync(_ => new ArchiveInspector(_sandbox).CyclesAsync().Result.Count(c => c.Base?.GetProperty("complete").GetBoolean() == true) >= 2,
            TimeSpan.FromSeconds(150), "a complete cycle of the instance that came back");
        Assert.Equal(0, await daemon.TerminateAsync(TimeSpan.FromSeconds(60)));
    }
}
