using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// The spool's filesystem fills up (issue 13, drill 2). Without spool_max_size, while pgbench writes and pgcad and
/// pgdumpd run as daemons, wal-push fails cleanly on ENOSPC, PostgreSQL keeps the WAL, pgcad, status and the metrics
/// report it, the dumps go on, and once space returns every segment is archived. With
/// spool_max_size, WAL past the limit is dropped and acknowledged, the cycle is marked broken, status and the
/// metrics say so, and pgcad starts a new cycle as soon as the repository takes WAL again.
/// </summary>
public sealed class SpoolFullTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact(Timeout = 900_000)]
    public async Task A_full_disk_fails_wal_push_cleanly_and_every_segment_is_archived_once_space_returns()
    {
        // the data directory and the spool next to it share one small filesystem, as on a real host
        // room for 16 recycled segments in pg_wal (below), the spool and the data
        await using var fs = await LoopFilesystem.CreateAsync("ext4", sizeMb: 1024);
        // WAL written while the disk is full must fit in the segments recycled before it (up to 16 of them): no switch
        // every archive_timeout (a whole segment each) during a fault that lasts minutes on a loaded machine, else
        // PostgreSQL itself runs out of space for pg_wal and stops (PANIC), which is not what this drill is about
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "min_wal_size = 256MB\narchive_timeout = 600\n",
            fs.Sub("pgdata"));
        await PgBench.InitAsync(cluster);
        var dumps = _sandbox.Sub("dump-repo");
        _sandbox.WriteConfig(Config(cluster) + $"""

            [dump]
            repository = "{dumps}"
            passphrase = "{Sandbox.Passphrase}"
            interval = "30s"
            """);
        Directory.CreateDirectory(_sandbox.Sub("textfile"));
        await using var pgcad = new DaemonProcess(_sandbox, ["pgcad"]);
        await using var pgdumpd = new DaemonProcess(_sandbox, ["pgdumpd"]);
        await pgcad.WaitForAsync(d => d.Stderr.Contains("stored (direct)"), TimeSpan.FromMinutes(3), "the first base");
        await pgdumpd.WaitForAsync(d => d.Stderr.Contains("dump round of"), TimeSpan.FromMinutes(3), "the first dump round");
        // recycled segments in pg_wal: PostgreSQL can go on writing WAL without new space while wal-push cannot copy
        string last = "";
        for (var i = 0; i < 16; i++)
        {
            await cluster.SqlAsync("UPDATE pgbench_branches SET bbalance = bbalance", PgBench.Database);
            last = await cluster.SwitchAndWaitArchivedAsync();
            if (i % 4 == 3)
            {
                await cluster.SqlAsync("CHECKPOINT");
            }
        }
        // a drained spool: nothing pgcad ingests during the fault frees space for wal-push
        await pgcad.WaitForAsync(_ => !cluster.SpoolHolds(last), TimeSpan.FromMinutes(2), $"{last} in Borg");
        // a low rate: each page pgbench touches first after a checkpoint costs a full-page image in the WAL
        var load = PgBenchLoad.Start(cluster, rate: 10);

        var filler = fs.Sub("filler");
        var free = new DriveInfo(fs.MountPoint).AvailableFreeSpace;
        var failedBefore = await cluster.SqlAsync("SELECT failed_count FROM pg_stat_archiver");
        await Run.CheckedAsync("/usr/bin/fallocate", "-l", (free - (8L << 20)).ToString(), filler);
        string failed;
        var (cadAt, dumpAt) = (pgcad.Stderr.Length, pgdumpd.Stderr.Length);
        try
        {
            await using var watch = new FaultWatch(_sandbox);
            await cluster.SqlAsync("SELECT pg_switch_wal()");
            // the first segment the archiver fails on: the one just switched, or one pgbench finished before it
            await Eventually.AssertAsync(async () => await cluster.SqlAsync("SELECT failed_count FROM pg_stat_archiver") != failedBefore,
                TimeSpan.FromSeconds(180), "the archiver did not fail");
            failed = await cluster.SqlAsync("SELECT last_failed_wal FROM pg_stat_archiver");

            // one line naming ENOSPC; no partial file in any spool; PostgreSQL still has the segment
            var log = await File.ReadAllTextAsync(cluster.LogFile);
            // (refused before a byte is written: 8 MiB free, and a segment is stored only with twice its size free)
            Assert.Matches(Regex.Escape($"pgborg wal-push: no space left on device (ENOSPC) storing {failed} in the spool (") + @"[78]\.\d MiB free; "
                + Regex.Escape("a segment of 16.0 MiB is stored only with 32.0 MiB free, so that PostgreSQL keeps room to write); PostgreSQL keeps the file and retries"), log);
            foreach (var spool in Directory.GetDirectories(cluster.SpoolRoot))
            {
                Assert.Empty(Directory.GetFiles(spool, ".*tmp*"));
            }
            Assert.False(cluster.SpoolHolds(failed), $"{failed} is in a spool though wal-push failed");
            Assert.True(File.Exists(Path.Combine(cluster.DataDirectory, "pg_wal", failed)));

            // pgcad reports it; status and the metrics show it; the dumps, which do not need the spool, go on
            await pgcad.WaitForAsync(d => d.Stderr[cadAt..].Contains($"main: PostgreSQL's archive_command is failing: {failed} failed at "),
                TimeSpan.FromMinutes(1), "pgcad to report the failing archiver");
            await watch.WaitForAsync(s => s.Failing && s.StatusOf().Contains($"  problem:     archive_command failing: {failed} at ")
                && s.Metric("pgborg_postgres_archiver_failed_total") > 0, TimeSpan.FromMinutes(1), "the failing archive_command");
            await pgdumpd.WaitForAsync(d => Regex.IsMatch(d.Stderr[dumpAt..], @"dump round of main finished: [1-9]\d* succeeded, 0 failed"),
                TimeSpan.FromMinutes(2), "a dump round during the fault");
            await watch.StopAsync();
        }
        finally
        {
            File.Delete(filler);
        }

        // space is back: PostgreSQL's next retry succeeds (a reload wakes the archiver) and nothing is missing
        await cluster.SqlAsync("SELECT pg_reload_conf()");
        await cluster.WaitArchivedAsync(failed);
        await load.StopAsync();
        last = await cluster.SwitchAndWaitArchivedAsync();
        await pgcad.WaitForAsync(_ => !cluster.SpoolHolds(last), TimeSpan.FromMinutes(2), $"{last} in Borg");
        await FaultWatch.WaitHealthyAsync(_sandbox);
        Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await pgdumpd.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.DoesNotMatch(@"finished: \d+ succeeded, [1-9]\d* failed", pgdumpd.Stderr);

        await new ArchiveInspector(_sandbox).AssertNoSegmentMissingAsync(last);
        await LeftBehind.AssertNothingAsync(_sandbox, cluster, _sandbox.Repository, _sandbox.WalRepository, dumps);
        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, PgBench.Checksum, PgBench.Database);
    }

    [Fact(Timeout = 600_000)]
    public async Task Past_spool_max_size_WAL_is_dropped_and_acknowledged_and_a_new_cycle_starts_once_the_repository_takes_WAL()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        // room for two 16 MiB segments: the third is dropped
        _sandbox.WriteConfig(Config(cluster, "spool_max_size = \"40MB\""));
        await OnceAsync();
        var broken = Assert.Single(Directory.GetDirectories(cluster.SpoolRoot));

        // pgcad is away (the repository unavailable, as far as the spool can tell): WAL piles up to the limit
        var switched = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            await cluster.SqlAsync($"INSERT INTO t SELECT g, 'round {i}' FROM generate_series({i * 100 + 1}, {(i + 1) * 100}) g");
            switched.Add(await cluster.SwitchAndWaitArchivedAsync());
        }
        // PostgreSQL was told every segment is archived: no failure, nothing piles up in pg_wal
        Assert.Equal("0", await cluster.SqlAsync("SELECT failed_count FROM pg_stat_archiver"));
        var dropped = switched.First(s => !File.Exists(Path.Combine(broken, s)));
        Assert.Equal(dropped, File.ReadAllText(Path.Combine(broken, ".dropped")).Trim());
        Assert.Contains($"DROPPED {dropped} and told PostgreSQL it is archived", await File.ReadAllTextAsync(cluster.LogFile));

        var status = await _sandbox.PgBorgAsync("status");
        Assert.True(status.ExitCode == 1, status.ToString());
        Assert.Contains($"WAL DROPPED from {dropped} on (spool_max_size reached): cycle {Path.GetFileName(broken)} cannot be restored past it", status.Stdout);
        Assert.Contains("pgborg_spool_wal_dropped{instance=\"main\"} 1", (await _sandbox.PgBorgAsync("metrics")).Stdout);

        // the repository takes WAL again (pgcad runs): the backlog drains, and a new cycle (a new base) starts at once.
        // The limit is raised first, as an operator would after a drop: with room for two segments, the backlog's two
        // and the segment the new base's stop switches are over the limit whenever the WAL loop's first ingest is
        // slower than the base's start (a loaded machine), and the new cycle would drop WAL too
        _sandbox.WriteConfig(Config(cluster, "spool_max_size = \"80MB\""));
        await using (var daemon = new DaemonProcess(_sandbox, ["pgcad"]))
        {
            await daemon.WaitForAsync(d => d.Stderr.Contains($"wal-push dropped WAL from {dropped} on (spool_max_size)"), TimeSpan.FromMinutes(2), "a new cycle");
            // the WAL loop's loud line; its round runs beside the cycle loop's decision, so it may come second
            await daemon.WaitForAsync(d => d.Stderr.Contains($"wal-push DROPPED WAL from {dropped} on"), TimeSpan.FromMinutes(1), "the drop reported");
            await daemon.WaitForAsync(d => d.Stderr.Contains("stored (direct)"), TimeSpan.FromMinutes(4), "the new base");
            await cluster.SqlAsync("INSERT INTO t SELECT g, 'after' FROM generate_series(401, 500) g");
            var last = await cluster.SwitchAndWaitArchivedAsync();
            await daemon.WaitForAsync(_ => !Directory.Exists(broken), TimeSpan.FromMinutes(2), "the broken spool to be retired");
            // ingested: moved out of every spool's waiting files
            await daemon.WaitForAsync(_ => !cluster.SpoolHolds(last), TimeSpan.FromMinutes(2), $"{last} in Borg");
            Assert.Equal(0, await daemon.TerminateAsync(TimeSpan.FromSeconds(60)));
        }
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        Assert.Equal(2, cycles.Count(c => c.Base is not null));
        // the broken spool was drained and retired; status is healthy again, and the latest state restores exactly
        Assert.DoesNotContain(broken, Directory.GetDirectories(cluster.SpoolRoot));
        status = await _sandbox.PgBorgAsync("status");
        Assert.DoesNotContain("DROPPED", status.Stdout);
        Assert.Contains("pgborg_spool_wal_dropped{instance=\"main\"} 0", (await _sandbox.PgBorgAsync("metrics")).Stdout);
        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, RestoredServer.TableChecksum);
    }

    private string Config(PostgresCluster cluster, string extraArchive = "") => _sandbox.ArchiveConfig(cluster, extraArchive: extraArchive) + $"""

        [metrics]
        textfile_directory = "{_sandbox.Sub("textfile")}"
        """;

    private async Task<RunResult> OnceAsync()
    {
        Directory.CreateDirectory(_sandbox.Sub("textfile"));
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }
}
