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
    private static int _port = 45000 + Environment.ProcessId % 1000 * 3;
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(5);
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
        await _cluster.SqlAsync("CREATE DATABASE bench");
        await Run.AsPostgresAsync($"{PostgresCluster.Bin}/pgbench", "-i", "-s", "1", "-q", "-h", _cluster.SocketDirectory, "-p", _cluster.Port.ToString(), "bench");
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private const string Checksum = "SELECT (SELECT count(*) || ':' || sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM pgbench_history)";

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
            var load = Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", $"{PostgresCluster.Bin}/pgbench",
                "-T", ((int)Outage.TotalSeconds + 30).ToString(), "-R", "20", "-c", "1", "-h", _cluster.SocketDirectory, "-p", _cluster.Port.ToString(), "bench"],
                timeout: Outage + TimeSpan.FromMinutes(3));

            // the disk goes away
            foreach (var repository in Repositories)
            {
                Directory.Move(repository, repository + ".away");
            }
            var gone = DateTime.UtcNow;
            bool statusSawIt = false, metricsSawIt = false, restarted = false;
            while (DateTime.UtcNow - gone < Outage)
            {
                await Task.Delay(5000);
                var status = await _sandbox.PgBorgAsync("status");
                statusSawIt |= status.ExitCode == 1 && status.Stdout.Contains("archiving failing") && SpoolWaiting(status.Stdout) > 0;
                var metrics = (await _sandbox.PgBorgAsync("metrics")).Stdout;
                metricsSawIt |= metrics.Contains("pgborg_archive_round_success{instance=\"main\"} 0") && SpoolFilesMetric(metrics) > 0;
                if (!restarted && DateTime.UtcNow - gone > TimeSpan.FromMinutes(1))
                {
                    // a pgcad started while the disk is away must not create a new, empty repository where the old one was
                    Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
                    await pgcad.DisposeAsync();
                    pgcad = new DaemonProcess(_sandbox, ["pgcad"]);
                    await pgcad.WaitForAsync(d => d.Stderr.Contains("is gone, but this host has used a repository there before"),
                        TimeSpan.FromMinutes(2), "the refusal to initialise a vanished repository");
                    restarted = true;
                }
            }
            Assert.True(statusSawIt, "pgborg status never showed the failure with a spool backlog");
            Assert.True(metricsSawIt, "the metrics never showed a failed round with a spool backlog");
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
            await pgcad.WaitForAsync(_ => !SpoolHolds(last), TimeSpan.FromMinutes(3), $"{last} to be ingested");

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
            await WaitHealthyAsync();
            Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, await pgdumpd.TerminateAsync(TimeSpan.FromSeconds(60)));

            await AssertNothingLostAsync(last);
            await AssertNothingLeftBehindAsync();
            await AssertRestoresAsync();
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

    [GeneratedRegex(@"(\d+) file\(s\) waiting")]
    private static partial Regex Waiting();

    [GeneratedRegex("pgborg_spool_files\\{instance=\"main\"\\} (\\d+)")]
    private static partial Regex SpoolFiles();

    private static int SpoolWaiting(string status) => Waiting().Match(status) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;

    private static int SpoolFilesMetric(string metrics) => SpoolFiles().Match(metrics) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;

    private bool SpoolHolds(string file) =>
        Directory.GetDirectories(_cluster.DataDirectory + ".pgborg-spool").Any(d => File.Exists(Path.Combine(d, file)));

    private async Task WaitHealthyAsync()
    {
        RunResult status = null!;
        for (var i = 0; i < 60; i++)
        {
            status = await _sandbox.PgBorgAsync("status");
            if (status.ExitCode == 0)
            {
                return;
            }
            await Task.Delay(3000);
        }
        Assert.Fail("status did not become healthy within 3 minutes of the repositories' return:\n" + status);
    }

    private async Task AssertNothingLostAsync(string last)
    {
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        var first = cycles.First(c => c.Base is not null).Base!.Value.GetProperty("startWalFile").GetString()!;
        var stored = cycles.SelectMany(c => c.WalFiles).ToHashSet();
        var missing = ArchiveInspector.SegmentRange(first, last).Where(s => !stored.Contains(s)).ToList();
        Assert.True(missing.Count == 0, "lost: " + string.Join(", ", missing));
    }

    private async Task AssertNothingLeftBehindAsync()
    {
        Assert.Equal("0", await _cluster.SqlAsync("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgborg%'"));
        Assert.DoesNotContain(await _sandbox.ArchiveNamesAsync(), n => n.EndsWith(".checkpoint", StringComparison.Ordinal));
        Assert.All(Repositories, r => Assert.False(File.Exists(Path.Combine(r, "lock.roster")) || Directory.Exists(Path.Combine(r, "lock.exclusive")), $"a lock is left in {r}"));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(_cluster.DataDirectory)!, "*.pgborg-snapshot*"));
        foreach (var spool in Directory.GetDirectories(_cluster.DataDirectory + ".pgborg-spool"))
        {
            Assert.Empty(Directory.GetFiles(spool, ".*tmp*"));
        }
    }

    private async Task AssertRestoresAsync()
    {
        var expected = await _cluster.SqlAsync(Checksum, "bench");
        using var dir = new TempDir("pgborg-restore");
        var data = Path.Combine(dir.Path, "data");
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", data], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());
        await using var server = await RestoredServer.StartAsync(data, Interlocked.Increment(ref _port));
        await server.WaitPromotedAsync();
        Assert.Equal(expected, await server.SqlAsync(Checksum, "bench"));
    }
}
