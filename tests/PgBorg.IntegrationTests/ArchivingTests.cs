using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>pgcad against a real cluster under load: cycles, rotations, overlap, settings, the daemon (expiry: CycleExpiryTests).</summary>
public sealed class ArchivingTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
    }

    /// <summary>pgbench's tables (15 MB): only the tests that write with pgbench pay for them and their bases.</summary>
    private async Task InitBenchAsync()
    {
        await _cluster.SqlAsync("CREATE DATABASE bench");
        await Run.AsPostgresAsync($"{PostgresCluster.Bin}/pgbench", "-i", "-s", "1", "-q", "-h", _cluster.SocketDirectory, "-p", _cluster.Port.ToString(), "bench");
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    /// <summary>
    /// pgbench with two clients for <paramref name="seconds"/>, held to a rate: unbounded, it would take both of the
    /// suite's cores from the tests running beside this one.
    /// </summary>
    private Task<string> PgbenchAsync(int seconds) =>
        Run.AsPostgresAsync($"{PostgresCluster.Bin}/pgbench", "-T", seconds.ToString(), "-c", "2", "-R", "300", "-h", _cluster.SocketDirectory,
            "-p", _cluster.Port.ToString(), "bench");

    private Task<string> SwitchAndWaitAsync() => _cluster.SwitchAndWaitArchivedAsync();

    [Fact(Timeout = 600_000)]
    public async Task Under_load_across_two_rotations_every_segment_from_the_first_base_to_the_last_switch_is_in_Borg()
    {
        await InitBenchAsync();
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        await _sandbox.PgcadOnceAsync();
        // pgbench writes and a segment is finished every 2 s, as on a busy server: segments end before, during and
        // after each base
        var load = PgbenchAsync(25);
        var switches = Task.Run(async () =>
        {
            while (!load.IsCompleted)
            {
                await _cluster.SqlAsync("SELECT pg_switch_wal()");
                await Task.Delay(2000);
            }
        });
        await Task.Delay(4000);
        await _sandbox.PgcadOnceAsync("--new-cycle");
        await Task.Delay(4000);
        await _sandbox.PgcadOnceAsync("--new-cycle");
        await load;
        await switches;
        var last = await SwitchAndWaitAsync();
        await _sandbox.PgcadOnceAsync();

        var cycles = (await new ArchiveInspector(_sandbox).CyclesAsync()).Where(c => c.Base is not null).ToList();
        Assert.True(cycles.Count >= 3, $"{cycles.Count} cycles");
        Assert.All(cycles, c => Assert.True(c.Base!.Value.GetProperty("complete").GetBoolean()));
        var first = cycles[0].Base!.Value.GetProperty("startWalFile").GetString()!;
        Assert.True(ArchiveInspector.SegmentRange(first, last).Count() >= 10, $"only {first} to {last} were written under load");

        // from the metadata: all cycles together hold every segment from the first base to the last switch ...
        var all = cycles.SelectMany(c => c.WalFiles).ToHashSet();
        var missing = ArchiveInspector.SegmentRange(first, last).Where(s => !all.Contains(s)).ToList();
        Assert.True(missing.Count == 0, "missing: " + string.Join(", ", missing));
        // ... and each cycle on its own holds every segment from its base until the next cycle's base is complete (overlap)
        for (var i = 0; i < cycles.Count; i++)
        {
            var from = cycles[i].Base!.Value.GetProperty("startWalFile").GetString()!;
            var to = i + 1 < cycles.Count ? cycles[i + 1].Base!.Value.GetProperty("stopWalFile").GetString()! : last;
            var own = cycles[i].WalFiles.ToHashSet();
            var gap = ArchiveInspector.SegmentRange(from, to).Where(s => !own.Contains(s)).ToList();
            Assert.True(gap.Count == 0, $"cycle {cycles[i].Stamp} lacks {string.Join(", ", gap)}");
        }

        // by extracting: every segment is there, whole, and a real segment of this cluster
        using var extracted = new TempDir("pgborg-extract");
        foreach (var archive in cycles.SelectMany(c => c.WalArchives))
        {
            var r = await Run.ProgramAsync("/usr/bin/borg", ["extract", $"{_sandbox.WalRepository}::{archive}"], new Dictionary<string, string>
            {
                ["BORG_PASSPHRASE"] = Sandbox.Passphrase, ["BORG_BASE_DIR"] = Path.Combine(_sandbox.StateDirectory, "borg"),
            }, extracted.Path);
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        var sysid = ulong.Parse(await _cluster.SqlAsync("SELECT system_identifier FROM pg_control_system()"));
        foreach (var segment in ArchiveInspector.SegmentRange(first, last))
        {
            var path = Path.Combine(extracted.Path, segment);
            Assert.True(File.Exists(path), segment);
            PgBorg.Archiving.WalFileCheck.Check(path, 15, sysid);
        }

        // only the current cycle's spool is left
        Assert.Single(Directory.GetDirectories(_cluster.DataDirectory + ".pgborg-spool"));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_new_cycle_starts_when_the_WAL_outgrows_the_base_and_when_the_base_is_too_old()
    {
        await InitBenchAsync();
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        // without Borg's statistics, as in a repository of many archives: the compressed sizes the rule compares come
        // from each new archive's item listing, and the deduplicated size of the base is not known
        var noStatistics = new Dictionary<string, string> { ["PGBORG_CREATE_STATISTICS_UP_TO"] = "0" };
        var first = await _sandbox.PgcadOnceWithAsync(noStatistics);
        Assert.Contains(" compressed, unknown new in the repository", first.Stderr);
        // sizes read wrong (a base of 0 bytes) would start a new cycle here already
        Assert.DoesNotContain("outgrew", first.Stderr);
        // about 70 MB of WAL that lz4 cannot shrink much (random hex), against a base whose 15 MB of pgbench tables
        // (blank-padded rows) compress to a few MB
        await _cluster.SqlAsync("CREATE TABLE noise AS SELECT md5(random()::text) AS t FROM generate_series(1, 1000000)");
        await SwitchAndWaitAsync();
        var r = await _sandbox.PgcadOnceWithAsync(noStatistics); // ingests the WAL, now larger than the base: a new cycle in the same round
        Assert.Contains("outgrew its compressed base", r.Stderr);
        Assert.DoesNotContain("starting cycle", (await _sandbox.PgcadOnceAsync()).Stderr);

        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster, extraArchive: "cycle_max_age = \"1s\""));
        await Task.Delay(1500);
        var aged = await _sandbox.PgcadOnceAsync();
        Assert.Contains("older than cycle_max_age", aged.Stderr);
    }

    [Fact(Timeout = 120_000)]
    public async Task Wrong_settings_are_listed_with_what_to_set_and_nothing_is_touched()
    {
        await using var plain = await PostgresCluster.StartAsync("archive_mode = off\n");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(plain));
        var r = await _sandbox.PgBorgAsync("pgcad", "--once");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("set archive_mode = on", r.Stderr);
        Assert.Contains($"set archive_command = '{PgBorgBinary.Path} wal-push %p'", r.Stderr);
        Assert.Contains("set archive_timeout = 60", r.Stderr);
        Assert.Contains("postgresql.conf", r.Stderr);
        Assert.False(Directory.Exists(_sandbox.Repository));
        Assert.False(Directory.Exists(plain.DataDirectory + ".pgborg-spool"));
    }

    [Fact(Timeout = 300_000)]
    public async Task As_a_daemon_it_is_ready_after_the_first_base_and_ends_backup_mode_and_cleanly_on_SIGTERM()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        await using var daemon = new DaemonProcess(_sandbox, ["pgcad"], new Dictionary<string, string> { ["WATCHDOG_USEC"] = "2000000" });
        await daemon.WaitForAsync(d => d.Messages.Contains("READY=1"), TimeSpan.FromSeconds(120), "READY=1");
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        Assert.Contains(cycles, c => c.Base is not null && c.Base.Value.GetProperty("complete").GetBoolean());
        await daemon.WaitForAsync(d => d.Messages.Count(m => m == "WATCHDOG=1") >= 2, TimeSpan.FromSeconds(20), "WATCHDOG=1");
        // WAL keeps flowing into Borg while it runs
        var segment = await SwitchAndWaitAsync();
        await daemon.WaitForAsync(_ => new ArchiveInspector(_sandbox).CyclesAsync().Result.Any(c => c.WalFiles.Contains(segment)), TimeSpan.FromSeconds(60), $"{segment} in Borg");
        Assert.Equal(0, await daemon.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("0", await _cluster.SqlAsync("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgborg%'"));
    }
}
