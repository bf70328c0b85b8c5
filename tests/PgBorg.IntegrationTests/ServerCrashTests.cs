using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Issue 13, drill 3: PostgreSQL crashes (kill -9 of the postmaster) while pgbench writes, pgdumpd runs and pgcad takes a base —
/// in backup mode while Borg reads the live directory (direct: pgcad ends the attempt and takes a new base once the
/// server is back), and during the base's borg create after a reflink snapshot (backup mode had ended and the stop
/// segment was archived: the base is whole and completes). While the server is down, status and the metrics show the
/// failed rounds and the unreachable server; the dumps recover with it. Either way no stale spool, snapshot, session or
/// checkpoint archive is left; nothing is lost and the latest state restores exactly.
/// </summary>
public sealed partial class ServerCrashTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Theory(Timeout = 900_000)]
    [InlineData("direct")]
    [InlineData("reflink")]
    public async Task A_server_killed_during_a_base_ends_the_attempt_and_the_next_base_after_its_return_leaves_nothing_behind(string method)
    {
        await using var fs = method == "reflink" ? await LoopFilesystem.CreateAsync("xfs") : null;
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n", fs?.Sub("pgdata"));
        await PgBench.InitAsync(cluster);
        var dumps = _sandbox.Sub("dump-repo");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: method) + $"""

            [dump]
            repository = "{dumps}"
            passphrase = "{Sandbox.Passphrase}"
            interval = "30s"
            """);

        // a Borg that freezes (SIGSTOP) in the base's create once the test arms it: as soon as it holds the repository's
        // lock, which it takes before it reads a file (a fixed delay let a fast Borg read the whole small directory
        // first, and pgcad then ended backup mode)
        using var bin = new FakeBin(new Dictionary<string, string>());
        var armed = Path.Combine(bin.Path, "armed");
        var frozen = Path.Combine(bin.Path, "frozen");
        var borg = bin.Script("borg", $"""
            if [ "$1" = create ] && [[ "$*" == *"~base~"* ]] && rm '{armed}' 2>/dev/null; then
              /usr/bin/borg "$@" <&0 & pid=$!
              for i in $(seq 400); do [ -d '{_sandbox.Repository}/lock.exclusive' ] && break; sleep 0.02; done
              kill -STOP $pid; echo $pid > '{frozen}'; wait $pid; exit $?
            fi
            exec /usr/bin/borg "$@"
            """);
        await using var pgcad = new DaemonProcess(_sandbox, ["pgcad"], new Dictionary<string, string> { ["PGBORG_BORG"] = borg });
        await using var pgdumpd = new DaemonProcess(_sandbox, ["pgdumpd"]);
        await pgcad.WaitForAsync(d => d.Stderr.Contains($"stored ({method})"), TimeSpan.FromMinutes(3), "the first base");
        await pgdumpd.WaitForAsync(d => d.Stderr.Contains("dump round of"), TimeSpan.FromMinutes(3), "the first dump round");
        // pgbench writes until the crash cuts it off
        var load = PgBench.StartAsync(cluster, TimeSpan.FromSeconds(90), rate: 50);
        await Task.Delay(TimeSpan.FromSeconds(10));

        var armedAt = pgcad.Stderr.Length;
        File.WriteAllText(armed, "");
        await Run.CheckedAsync("/bin/kill", "-USR1", pgcad.Pid.ToString());
        await pgcad.WaitForAsync(_ => File.Exists(frozen), TimeSpan.FromMinutes(2), "the base's borg create");
        if (method == "direct")
        {
            // backup mode is held by pgcad's session, whose last statement read the snapshot right after pg_backup_start
            // (pgcad's WAL loop and pgdumpd open sessions of their own, so a count of pgborg's sessions cannot tell)
            Assert.Equal("1", await cluster.SqlAsync("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                + "AND application_name = 'pgborg pgcad' AND query = 'SELECT pg_current_snapshot()::text'"));
        }
        var postmaster = File.ReadLines(Path.Combine(cluster.DataDirectory, "postmaster.pid")).First();
        var dumpAt = pgdumpd.Stderr.Length;
        await using var watch = new FaultWatch(_sandbox, TimeSpan.FromSeconds(2));
        await Run.CheckedAsync("/bin/kill", "-KILL", postmaster);
        await Run.CheckedAsync("/bin/kill", "-CONT", File.ReadAllText(frozen).Trim());
        var failedAt = pgcad.Stderr.Length;
        if (method == "direct")
        {
            // backup mode died with the server while Borg read the live directory: the attempt ends, nothing is committed,
            // and the request for a new cycle stands until a base is taken after the server's return (crash recovery)
            await pgcad.WaitForAsync(d => d.Stderr[armedAt..].Contains("main: archiving round failed: "), TimeSpan.FromMinutes(3), "the attempt to end");
            failedAt = pgcad.Stderr.Length;
            await watch.WaitForAsync(s => s.Failing && s.StatusOf().Contains("  problem:     archiving failing (")
                && s.Metric("pgborg_archive_round_success") == 0, TimeSpan.FromMinutes(1), "the failed archiving round");
        }
        else
        {
            // the snapshot was taken and backup mode ended before the crash: the base and its stop segment are whole, and
            // the base completes without the server
            await pgcad.WaitForAsync(d => d.Stderr[armedAt..].Contains($"stored ({method})"), TimeSpan.FromMinutes(4), "the base to complete");
        }
        // while the server is down, the dump round fails, and status and the metrics say the server cannot be reached
        await pgdumpd.WaitForAsync(d => FailedDumpRound().IsMatch(d.Stderr[dumpAt..]), TimeSpan.FromMinutes(2), "a dump round to fail");
        await watch.WaitForAsync(s => s.Failing && s.StatusOf().Contains("  problem:     dumps failing: ")
            && s.Metric("pgborg_dump_round_success") == 0, TimeSpan.FromMinutes(1), "the failed dump round");
        watch.AssertSaw(s => s.StatusOf().Contains("cannot connect to PostgreSQL"), "the server unreachable");
        await watch.StopAsync();
        Assert.NotEqual(0, (await load).ExitCode);

        var back = (pgcad.Stderr.Length, pgdumpd.Stderr.Length);
        await StartAgainAsync(cluster);
        if (method == "direct")
        {
            await pgcad.WaitForAsync(d => d.Stderr[failedAt..].Contains($"stored ({method})"), TimeSpan.FromMinutes(4), "a new base after the crash");
        }
        await PgBench.RunAsync(cluster, TimeSpan.FromSeconds(10), rate: 50);
        await pgdumpd.WaitForAsync(d => Regex.IsMatch(d.Stderr[back.Item2..], @"dump round of main finished: [1-9]\d* succeeded, 0 failed"),
            TimeSpan.FromMinutes(2), "a dump round after the server's return");
        var last = await cluster.SwitchAndWaitArchivedAsync();
        var spoolRoot = cluster.SpoolRoot;
        await pgcad.WaitForAsync(_ => Directory.GetDirectories(spoolRoot).Length == 1
            && !Directory.GetDirectories(spoolRoot).Any(d => File.Exists(Path.Combine(d, last))), TimeSpan.FromMinutes(2), "one spool, drained");
        await FaultWatch.WaitHealthyAsync(_sandbox);
        Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await pgdumpd.TerminateAsync(TimeSpan.FromSeconds(60)));

        await LeftBehind.AssertNothingAsync(_sandbox, cluster, _sandbox.Repository, _sandbox.WalRepository, dumps);
        await new ArchiveInspector(_sandbox).AssertNoSegmentMissingAsync(last, everyBaseComplete: true);
        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, PgBench.Checksum, PgBench.Database);
    }

    [GeneratedRegex(@"dump round of main finished: \d+ succeeded, [1-9]\d* failed")]
    private static partial Regex FailedDumpRound();

    /// <summary>pg_ctl start once the killed postmaster's backends have noticed its death and released its shared memory.</summary>
    private static async Task StartAgainAsync(PostgresCluster cluster)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await cluster.StartAgainAsync();
                return;
            }
            catch (Exception) when (attempt < 10)
            {
                await Task.Delay(2000);
            }
        }
    }
}
