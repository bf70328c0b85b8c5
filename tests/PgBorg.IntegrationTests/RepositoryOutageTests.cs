using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Issue 13, drill 1: the repositories go away for five minutes (a backup disk unmounted) while pgbench writes and
/// pgcad and pgdumpd run as daemons. WAL piles up in the spool, status and the metrics show the backlog and the error,
/// a pgcad restarted meanwhile does not create a new, empty repository in the old one's place, and once the
/// repositories return the backlog drains in order: nothing lost, nothing left behind.
/// </summary>
public sealed partial class RepositoryOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(5);
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
        await PgBench.InitAsync(_cluster);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private string DumpRepository => _sandbox.Sub("dump-repo");

    private string[] Repositories => [_sandbox.Repository, _sandbox.WalRepository, DumpRepository];

    [Fact(Timeout = 1_200_000)]
    public async Task Five_minutes_without_the_repositories_lose_nothing_and_the_backlog_drains_in_order()
    {
        Directory.CreateDirectory(_sandbox.Sub("textfile"));
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster) + $"""

            [dump]
            repository = "{DumpRepository}"
            passphrase = "{Sandbox.Passphrase}"
            interval = "1m"

            [metrics]
            textfile_directory = "{_sandbox.Sub("textfile")}"
            """);
        var pgcad = new DaemonProcess(_sandbox, ["pgcad"]);
        await using var pgdumpd = new DaemonProcess(_sandbox, ["pgdumpd"]);
        try
        {
            await pgcad.WaitForAsync(d => d.Stderr.Contains("stored (direct)"), TimeSpan.FromMinutes(3), "the first base");
            await pgdumpd.WaitForAsync(d => d.Stderr.Contains("dump round of"), TimeSpan.FromMinutes(3), "the first dump round");
            var load = PgBench.StartAsync(_cluster, Outage + TimeSpan.FromSeconds(30));

            // the disk goes away
            foreach (var repository in Repositories)
            {
                Directory.Move(repository, repository + ".away");
            }
            var gone = DateTime.UtcNow;
            await using (var watch = new FaultWatch(_sandbox, TimeSpan.FromSeconds(5)))
            {
                await Task.Delay(TimeSpan.FromMinutes(1));
                // a pgcad started while the disk is away must not create a new, empty repository where the old one was
                Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
                await pgcad.DisposeAsync();
                pgcad = new DaemonProcess(_sandbox, ["pgcad"]);
                await pgcad.WaitForAsync(d => d.Stderr.Contains("is gone, but this host has used a repository there before"),
                    TimeSpan.FromMinutes(2), "the refusal to initialise a vanished repository");
                await Task.Delay(Outage - (DateTime.UtcNow - gone) is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
                await watch.StopAsync();
                watch.AssertSaw(s => s.Failing && s.StatusOf().Contains("archiving failing") && s.SpoolWaiting() > 0,
                    "the failure with a spool backlog in status");
                watch.AssertSaw(s => s.Metric("pgborg_archive_round_success") == 0 && s.Metric("pgborg_spool_files") > 0,
                    "a failed round with a spool backlog in the metrics");
            }
            Assert.All(Repositories, r => Assert.False(Directory.Exists(r), $"{r} was created while the repository was away"));
            Assert.Matches(@"finished: \d+ succeeded, [1-9]\d* failed", pgdumpd.Stderr);

            // the disk is back
            var back = pgcad.Stderr.Length;
            foreach (var repository in Repositories)
            {
                Directory.Move(repository + ".away", repository);
            }
            var pgbench = await load;
            Assert.True(pgbench.ExitCode == 0, pgbench.ToString());
            var last = await _cluster.SwitchAndWaitArchivedAsync();
            await pgcad.WaitForAsync(_ => !_cluster.SpoolHolds(last), TimeSpan.FromMinutes(3), $"{last} to be ingested");

            // drained in order: after the return, each cycle's batches follow one another (cycles overlap, and while a
            // new base is taken both spools receive every segment)
            var batches = IngestedBatch().Matches(pgcad.Stderr[back..])
                .Select(m => (First: m.Groups[1].Value, Last: m.Groups[2].Value, Cycle: m.Groups[3].Value)).ToList();
            Assert.NotEmpty(batches);
            foreach (var cycle in batches.GroupBy(b => b.Cycle))
            {
                var own = cycle.ToList();
                for (var i = 1; i < own.Count; i++)
                {
                    Assert.True(string.CompareOrdinal(own[i - 1].Last, own[i].First) < 0, $"batch {own[i]} after {own[i - 1]}");
                }
            }
            await FaultWatch.WaitHealthyAsync(_sandbox);
            Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, await pgdumpd.TerminateAsync(TimeSpan.FromSeconds(60)));

            await new ArchiveInspector(_sandbox).AssertNoSegmentMissingAsync(last);
            await LeftBehind.AssertNothingAsync(_sandbox, _cluster, Repositories);
            await RestoredServer.AssertLatestMatchesAsync(_sandbox, _cluster, PgBench.Checksum, PgBench.Database);
        }
        finally
        {
            await pgcad.DisposeAsync();
            foreach (var repository in Repositories.Where(r => Directory.Exists(r + ".away")))
            {
                Directory.Move(repository + ".away", repository);
            }
        }
    }

    [GeneratedRegex(@"archived \d+ WAL files ([0-9A-F]{24})\.\.([0-9A-F]{24}) into \S+~(\d{8}T\d{6}Z)")]
    private static partial Regex IngestedBatch();
}
