using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Issue 13, drill 5: the clock jumps back an hour, then forward a day, while pgbench writes and pgcad and pgdumpd run.
/// Stepping this machine's clock would disturb every other test, so the daemons (and the Borg they start, and status and
/// metrics) see the jumps through libfaketime (<see cref="FakeClock"/>); PostgreSQL
/// keeps the real clock.
/// Cycle names stay unique and in order (a new cycle requested while the clock is behind does not wait an hour for
/// it), the jump forward past cycle_max_age starts exactly one new cycle, not one per round, no round fails, status and
/// the metrics agree on the cycles, and nothing is lost.
/// </summary>
public sealed partial class ClockJumpTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [GeneratedRegex(@"starting cycle (\d{8}T\d{6}Z): ([^\n]*)")]
    private static partial Regex CycleStarting();

    [Fact(Timeout = 1_200_000)]
    public async Task Clock_jumps_keep_cycle_names_unique_and_ordered_and_start_exactly_the_cycles_due()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await PgBench.InitAsync(cluster);
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, extraArchive: "cycle_max_age = \"12h\"") + $"""

            [dump]
            repository = "{_sandbox.Sub("dump-repo")}"
            passphrase = "{Sandbox.Passphrase}"
            interval = "6h"
            """);
        var clock = FakeClock.InFile(_sandbox.Sub("faketime"));
        var env = clock.Environment;
        await using var pgcad = new DaemonProcess(_sandbox, ["pgcad"], env);
        await using var pgdumpd = new DaemonProcess(_sandbox, ["pgdumpd"], env);
        await pgcad.WaitForAsync(d => d.Stderr.Contains("stored (direct)"), TimeSpan.FromMinutes(6), "the first base");
        await pgdumpd.WaitForAsync(d => d.Stderr.Contains("dump round of"), TimeSpan.FromMinutes(6), "the first dump round");
        // status and metrics see the daemons' clock, as they would on a host whose clock jumped
        await using var watch = new FaultWatch(_sandbox, env: env);
        async Task<string> WorkAsync()
        {
            await PgBench.RunAsync(cluster, TimeSpan.FromSeconds(5));
            return await cluster.SwitchAndWaitArchivedAsync();
        }
        await WorkAsync();

        // an hour back: WAL goes on; a new cycle requested now is taken at once, named after the newest one
        clock.Step("-1h");
        await WorkAsync();
        var before = pgcad.Stderr.Length;
        await Run.CheckedAsync("/bin/kill", "-USR1", pgcad.Pid.ToString());
        await pgcad.WaitForAsync(d => d.Stderr[before..].Contains("stored (direct)"), TimeSpan.FromMinutes(3), "the base of a cycle requested an hour back");
        await WorkAsync();

        // a day forward, past cycle_max_age: exactly one new cycle, however many rounds follow
        before = pgcad.Stderr.Length;
        clock.Step("+1d");
        await pgcad.WaitForAsync(d => d.Stderr[before..].Contains("stored (direct)"), TimeSpan.FromMinutes(3), "the cycle due after a day");
        await WorkAsync();
        await PgBench.RunAsync(cluster, TimeSpan.FromSeconds(10)); // about ten more cycle rounds (ingest_interval 1 s)
        var last = await WorkAsync();
        await pgcad.WaitForAsync(_ => !cluster.SpoolHolds(last), TimeSpan.FromMinutes(2), $"{last} in Borg");

        // a jump is not a fault: no round failed, and once the day's cycle is in, status and the metrics agree on three cycles
        await FaultWatch.WaitHealthyAsync(_sandbox, env: env);
        var settled = await watch.WaitForAsync(s => !s.Failing && s.StatusOf().Contains("  cycles:      3 complete;"), TimeSpan.FromMinutes(1),
            "three complete cycles, healthy");
        Assert.Equal(3, settled.Metric("pgborg_cycles_kept"));
        Assert.Equal(1, settled.Metric("pgborg_archive_round_success"));
        await watch.StopAsync();
        watch.AssertNeverSaw(s => s.StatusOf().Contains("archiving failing") || s.Metric("pgborg_archive_round_success") == 0, "a failed round");
        Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await pgdumpd.TerminateAsync(TimeSpan.FromSeconds(60)));
        var afterDay = CycleStarting().Matches(pgcad.Stderr[before..]).ToList();
        Assert.True(afterDay.Count == 1, "cycles started after the day's jump:\n" + string.Join("\n", afterDay.Select(m => m.Value)));
        Assert.Contains("cycle_max_age", afterDay[0].Groups[2].Value);
        Assert.StartsWith(DateTime.UtcNow.AddDays(1).ToString("yyyyMMdd"), afterDay[0].Groups[1].Value);

        // cycle names in the order the cycles were started, each once, each complete
        var started = CycleStarting().Matches(pgcad.Stderr).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, started.Count);
        Assert.Equal(started.Order(StringComparer.Ordinal), started);
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        Assert.Equal(started, cycles.Select(c => c.Stamp));
        Assert.All(cycles, c => Assert.True(c.Base is { } b && b.GetProperty("complete").GetBoolean(), $"cycle {c.Stamp} is not complete"));
        Assert.DoesNotContain("dump round of main finished: 0 succeeded", pgdumpd.Stderr);

        await new ArchiveInspector(_sandbox).AssertNoSegmentMissingAsync(last);
        await LeftBehind.AssertNothingAsync(_sandbox, cluster, _sandbox.Repository, _sandbox.WalRepository, _sandbox.Sub("dump-repo"));
        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, PgBench.Checksum, PgBench.Database);
    }
}
