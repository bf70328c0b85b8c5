using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Everything that differs between PostgreSQL major versions, on every one from 13 to 18, in one cluster lifetime per
/// version: wal-push's page magic, the base (pg_start_backup/pg_stop_backup before 15, pg_backup_start/stop from 15,
/// the transaction snapshot), a restore to each kind of target, and archiving on timeline 2 after a promotion inside
/// a segment. Versions other than Debian's 15 run the server binaries of <see cref="PostgresVersions"/>; psql is 15.
/// </summary>
public sealed class PostgresVersionMatrixTests(ITestOutputHelper output) : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Step(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1}s {what}");
    private PostgresCluster _cluster = null!;

    public void Dispose() => _sandbox.Dispose();

    private async Task OnceAsync(params string[] options)
    {
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once", .. options], null, timeout: TimeSpan.FromMinutes(4));
        Step("pgcad --once " + string.Join(' ', options));
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    private Task InsertAsync(int from, int to) =>
        _cluster.SqlAsync($"INSERT INTO t SELECT g, md5(g::text) FROM generate_series({from}, {to}) g", "app");

    private async Task AssertArchiverClean()
    {
        var failed = await _cluster.SqlAsync("SELECT failed_count || ' ' || coalesce(last_failed_wal, '') FROM pg_stat_archiver");
        Assert.True(failed == "0 ", $"wal-push refused WAL: pg_stat_archiver says {failed}");
    }

    /// <summary>Restores <paramref name="target"/> into a new directory, starts it with the cluster's own binaries and reads <c>count:max</c> of t.</summary>
    private async Task<string> RestoreAndCountAsync(params string[] target)
    {
        using var dir = new TempDir("pgborg-matrix");
        var data = Path.Combine(dir.Path, "data");
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", .. target, "--target-dir", data, "--target-action", "promote"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        await using var server = await RestoredServer.StartAsync(data, PostgresCluster.NextFreePort(), serverBin: _cluster.ServerBin);
        await server.WaitPromotedAsync();
        // amcheck's B-tree check with heapallindexed exists on every version (pg_amcheck 15 needs a 14+ server)
        await server.SqlAsync("CREATE EXTENSION IF NOT EXISTS amcheck", "app");
        await server.SqlAsync("SELECT bt_index_check(indexrelid, true) FROM pg_index WHERE indrelid = 't'::regclass", "app");
        var counted = await server.SqlAsync("SELECT count(*) || ':' || max(id) FROM t", "app");
        Step("restored " + string.Join(' ', target));
        return counted;
    }

    private async Task WaitPromotedAsync()
    {
        for (var i = 0; i < 600 && await _cluster.SqlAsync("SELECT pg_is_in_recovery()") == "t"; i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The suite runs the oldest, a middle and the newest supported major (15, Debian's, is what every other test
    /// uses); <c>PGBORG_TEST_ALL_MAJORS=1</c> runs all six, as <c>bench/pgmatrix/run.sh</c> does. Each row takes about
    /// a minute and a half, and all six would be nearly half of CI's time budget.
    /// </summary>
    public static TheoryData<int> Majors => Environment.GetEnvironmentVariable("PGBORG_TEST_ALL_MAJORS") == "1"
        ? new TheoryData<int>(13, 14, 15, 16, 17, 18)
        : new TheoryData<int>(13, 16, 18);

    [Theory(Timeout = 900_000)]
    [MemberData(nameof(Majors))]
    public async Task Archiving_every_kind_of_restore_and_the_next_timeline_work_on_this_major_version(int major)
    {
        _cluster = await PostgresCluster.StartVersionAsync(major, PostgresCluster.ArchivingConf);
        Step("started");
        await using var cluster = _cluster;
        Assert.Equal(major.ToString(), await _cluster.SqlAsync("SELECT current_setting('server_version_num')::int / 10000"));
        await _cluster.SqlAsync("CREATE DATABASE app");
        await _cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text)", "app");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster, extraInstance: $"bin_directory = \"{_cluster.ServerBin}\""));
        await OnceAsync();
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        Assert.NotNull(Assert.Single(cycles).Base);
        Assert.Contains(await _sandbox.ArchiveNamesAsync(), n => n.Contains($"~pg{major}~base~", StringComparison.Ordinal));

        await InsertAsync(1, 100);
        await Task.Delay(1100);
        var time = await _cluster.SqlAsync("SELECT now()");
        await Task.Delay(1100);
        await InsertAsync(101, 200);
        var lsn = await _cluster.SqlAsync("SELECT pg_current_wal_insert_lsn()");
        var lsnSegment = await _cluster.SqlAsync($"SELECT pg_walfile_name('{lsn}')");
        await InsertAsync(201, 300);
        var xid = await _cluster.SqlAsync(
            "WITH i AS (INSERT INTO t SELECT g, md5(g::text) FROM generate_series(301, 400) g RETURNING 1) SELECT pg_current_xact_id()::text FROM (SELECT count(*) FROM i) c", "app");
        // a second base: --time, --lsn and --xid (by its start snapshot: txid_current_snapshot before 15) must pick the first
        await OnceAsync("--new-cycle");
        Assert.Equal(2, (await new ArchiveInspector(_sandbox).CyclesAsync()).Count(c => c.Base is not null));
        await InsertAsync(401, 500);
        var point = await _sandbox.PgBorgAsync("pgbuptool", "restorepoint", $"matrix-{major}");
        Assert.True(point.ExitCode == 0, point.ToString());
        // one made with plain SQL: this major's pg_waldump must find it at ingest (the WAL index)
        await _cluster.SqlAsync($"SELECT pg_create_restore_point('plain-{major}')");
        var afterSecondBase = await _cluster.SqlAsync("SELECT now()");
        await InsertAsync(501, 600);
        await _cluster.SwitchAndWaitArchivedAsync();
        Step("switched");
        await AssertArchiverClean();
        await OnceAsync();
        var list = await _sandbox.PgBorgAsync("pgbuptool", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        if (File.Exists(Path.Combine(_cluster.ServerBin, "pg_waldump")))
        {
            Assert.Matches($@"(?m)^plain-{major}\t\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\tLSN [0-9A-F]+/[0-9A-F]+\ttimeline 1\twal$", list.Stdout);
        }
        else
        {
            // the npm server builds hold initdb, pg_ctl and postgres only: without this major's pg_waldump nothing is
            // indexed, and list says so instead of claiming there is no such point (a Debian install has pg_waldump)
            Assert.DoesNotContain($"plain-{major}", list.Stdout);
            Assert.Matches(@"WAL segment\(s\) have no index", list.Stdout + list.Stderr);
        }

        // side by side, each into its own directory on its own port: they only read the repository, and most of
        // each one's time is Borg's and PostgreSQL's start-up, so together they take little longer than one
        var restored = await Task.WhenAll(
            RestoreAndCountAsync(),
            RestoreAndCountAsync("--time", time),
            RestoreAndCountAsync("--lsn", lsn),
            RestoreAndCountAsync("--xid", xid),
            RestoreAndCountAsync("--restore-point", point.Stdout.Trim()));
        Assert.Equal(["600:600", "100:100", "200:200", "400:400", "500:500"], restored);

        // the instance itself back at the LSN, promoted inside lsnSegment: timeline 2 starts there and is archived
        await _cluster.StopAsync();
        Directory.Delete(_cluster.DataDirectory, recursive: true);
        var restore = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--lsn", lsn, "--target-action", "promote"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Step("restored in place");
        await _cluster.StartAgainAsync();
        await WaitPromotedAsync();
        Step("promoted");
        Assert.Equal("200:200", await _cluster.SqlAsync("SELECT count(*) || ':' || max(id) FROM t", "app"));
        Assert.Equal("2", await _cluster.SqlAsync("SELECT timeline_id FROM pg_control_checkpoint()"));
        await OnceAsync();
        await InsertAsync(1001, 1100);
        var last = await _cluster.SwitchAndWaitArchivedAsync();
        Assert.Equal(last, await _cluster.SqlAsync("SELECT last_archived_wal FROM pg_stat_archiver"));
        await AssertArchiverClean();
        await OnceAsync();
        var files = (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles).ToHashSet();
        Assert.Contains("00000002.history", files);
        Assert.Contains("00000002" + lsnSegment[8..], files);
        // timeline 2 forked before the second base began: only a new base on timeline 2 restores its latest state
        var bases = (await new ArchiveInspector(_sandbox).CyclesAsync()).Where(c => c.Base is not null).Select(c => c.Base!.Value).ToList();
        Assert.Equal(3, bases.Count);
        Assert.Equal(2u, bases[^1].GetProperty("timeline").GetUInt32());
        Assert.Equal("300:1100", await RestoreAndCountAsync());
        // a time on timeline 1 after the fork, in the second cycle: recovery would follow timeline 2, which forked off
        // before that cycle's base (its first segment or timeline 1's .partial says so), so it is refused before anything is extracted
        using var refusedDir = new TempDir("pgborg-matrix");
        var refused = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--time", afterSecondBase, "--target-dir", Path.Combine(refusedDir.Path, "data")], null);
        Assert.True(refused.ExitCode == 4 && refused.Stderr.Contains("forked off before the base", StringComparison.Ordinal), refused.ToString());
    }
}
