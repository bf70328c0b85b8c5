using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Issue 13, drill 1: the repositories go away for five minutes while pgbench writes and pgcad and pgdumpd run as
/// daemons — for one instance a local backup disk unmounted, for a second one, in the same window, a remote repository
/// whose ssh refuses connections. WAL piles up in both spools, status and the metrics show each instance's backlog
/// and error, a pgcad restarted meanwhile does not create a new, empty repository in the local one's place, and once
/// the repositories return both backlogs drain in order: nothing lost, nothing left behind, both restore exactly.
/// About seven minutes of two clusters, pgbench and both daemons on a CPU-bound suite: run by bench/drills/run.sh,
/// not by scripts/test.sh.
/// </summary>
[Trait("Category", "LongDrill")]
public sealed partial class RepositoryOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(5);
    private PostgresCluster _cluster = null!;
    private PostgresCluster? _remote;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
        await PgBench.InitAsync(_cluster);
        _remote = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
        await PgBench.InitAsync(_remote);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        if (_remote is not null)
        {
            await _remote.DisposeAsync();
        }
        _sandbox.Dispose();
    }

    /// <summary>The second instance's repository, reached through the ssh stand-in; its WAL repository is beside it.</summary>
    private string RemoteRepository => _sandbox.Sub("remote-repo");

    private string DumpRepository => _sandbox.Sub("dump-repo");

    private string[] Repositories => [_sandbox.Repository, _sandbox.WalRepository, DumpRepository];

    [Fact(Timeout = 1_800_000)]
    public async Task Five_minutes_without_the_repositories_lose_nothing_and_the_backlog_drains_in_order()
    {
        Directory.CreateDirectory(_sandbox.Sub("textfile"));
        var remote = _remote!;
        var ssh = new SshStandIn(_sandbox);
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster) + $$"""

            [instances.remote]
            data_directory = "{{remote.DataDirectory}}"

            [instances.remote.archive]
            repository = "{{SshStandIn.Location(RemoteRepository)}}"
            environment = { BORG_RSH = "{{ssh.Path}}" }

            [dump]
            repository = "{{DumpRepository}}"
            passphrase = "{{Sandbox.Passphrase}}"
            interval = "1m"

            [metrics]
            textfile_directory = "{{_sandbox.Sub("textfile")}}"
            """);
        var pgcad = new DaemonProcess(_sandbox, ["pgcad"]);
        await using var pgdumpd = new DaemonProcess(_sandbox, ["pgdumpd"]);
        try
        {
            await pgcad.WaitForAsync(d => Instances.All(i => Regex.IsMatch(d.Stderr, $@"{i}: base backup of cycle \S+ stored \(direct\)")), TimeSpan.FromMinutes(8), "the first bases");
            await pgdumpd.WaitForAsync(d => d.Stderr.Contains("dump round of"), TimeSpan.FromMinutes(3), "the first dump round");
            var load = PgBench.StartAsync(_cluster, Outage + TimeSpan.FromSeconds(30));
            var remoteLoad = PgBench.StartAsync(remote, Outage + TimeSpan.FromSeconds(30));

            // the disk goes away, and the backup server stops taking connections
            foreach (var repository in Repositories)
            {
                Directory.Move(repository, repository + ".away");
            }
            ssh.Refusing = true;
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
                foreach (var instance in Instances)
                {
                    watch.AssertSaw(s => s.Failing && s.StatusOf(instance).Contains("  problem:     archiving failing (") && s.SpoolWaiting(instance) > 0,
                        $"{instance}'s failure with a spool backlog in status");
                    watch.AssertSaw(s => s.Metric("pgborg_archive_round_success", instance) == 0 && s.Metric("pgborg_spool_files", instance) > 0,
                        $"a failed round of {instance} with a spool backlog in the metrics");
                }
                // the remote one says the connection failed (Borg's words for ssh's exit 255)
                watch.AssertSaw(s => s.StatusOf("remote").Contains(
                    $"failed on repository {SshStandIn.Location(RemoteRepository)}: the connection to the repository was closed"), "the refused connection");
            }
            Assert.All(Repositories, r => Assert.False(Directory.Exists(r), $"{r} was created while the repository was away"));
            Assert.Matches(@"finished: \d+ succeeded, [1-9]\d* failed", pgdumpd.Stderr);

            // the disk is back, and so is the backup server
            var back = pgcad.Stderr.Length;
            foreach (var repository in Repositories)
            {
                Directory.Move(repository + ".away", repository);
            }
            ssh.Refusing = false;
            foreach (var pgbench in new[] { await load, await remoteLoad })
            {
                Assert.True(pgbench.ExitCode == 0, pgbench.ToString());
            }
            var last = await _cluster.SwitchAndWaitArchivedAsync();
            var remoteLast = await remote.SwitchAndWaitArchivedAsync();
            await pgcad.WaitForAsync(_ => !_cluster.SpoolHolds(last) && !remote.SpoolHolds(remoteLast), TimeSpan.FromMinutes(4), "the last segments to be ingested");

            // drained in order: after the return, each instance's cycle's batches follow one another (cycles overlap, and
            // while a new base is taken both spools receive every segment)
            var batches = IngestedBatch().Matches(pgcad.Stderr[back..])
                .Select(m => (Instance: m.Groups[1].Value, First: m.Groups[2].Value, Last: m.Groups[3].Value, Cycle: m.Groups[4].Value)).ToList();
            Assert.All(Instances, i => Assert.Contains(batches, b => b.Instance == i));
            foreach (var cycle in batches.GroupBy(b => (b.Instance, b.Cycle)))
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
            await new ArchiveInspector(_sandbox, RemoteRepository, aside: true).AssertNoSegmentMissingAsync(remoteLast);
            await LeftBehind.AssertNothingAsync(_sandbox, _cluster, Repositories);
            await LeftBehind.AssertNothingAsync(_sandbox, remote, RemoteRepository, RemoteRepository + "-wal");
            await RestoredServer.AssertLatestMatchesAsync(_sandbox, _cluster, PgBench.Checksum, PgBench.Database, instance: "main");
            await RestoredServer.AssertLatestMatchesAsync(_sandbox, remote, PgBench.Checksum, PgBench.Database, instance: "remote");
        }
        finally
        {
            await pgcad.DisposeAsync();
            ssh.Refusing = false;
            foreach (var repository in Repositories.Where(r => Directory.Exists(r + ".away")))
            {
                Directory.Move(repository + ".away", repository);
            }
        }
    }

    private static readonly string[] Instances = ["main", "remote"];

    [GeneratedRegex(@"([\w-]+): archived \d+ WAL files ([0-9A-F]{24})\.\.([0-9A-F]{24}) into \S+~(\d{8}T\d{6}Z)")]
    private static partial Regex IngestedBatch();
}
