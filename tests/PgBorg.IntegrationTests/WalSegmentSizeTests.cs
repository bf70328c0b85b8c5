using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Clusters made with <c>initdb --wal-segsize</c> (1 MB to 1 GB; 64 MB is common on busy servers): every WAL name
/// and position is computed with the cluster's own segment size, through archiving, the base, a point-in-time
/// restore inside a segment, and the new timeline archived after it.
/// </summary>
public sealed class WalSegmentSizeTests
{
    [Theory(Timeout = 600_000)]
    [InlineData(1)]
    [InlineData(64)]
    public async Task Archiving_a_base_and_a_restore_to_an_LSN_work_with_this_segment_size(int megabytes)
    {
        using var sandbox = new Sandbox();
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf, null, $"--wal-segsize={megabytes}");
        Assert.Equal($"{megabytes}MB", await cluster.SqlAsync("SHOW wal_segment_size"));
        await cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        sandbox.WriteConfig(sandbox.ArchiveConfig(cluster));
        async Task OnceAsync()
        {
            var r = await sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        await OnceAsync();
        var insertBatch = 0;
        async Task InsertAsync(int rows)
        {
            var from = insertBatch * 10_000 + 1;
            insertBatch++;
            await cluster.SqlAsync($"INSERT INTO t SELECT g, md5(g::text) FROM generate_series({from}, {from + rows - 1}) g");
        }
        // 3 × 3,000 rows: several 1 MB segments, and a switch inside each 64 MB one
        await InsertAsync(3000);
        await cluster.SwitchAndWaitArchivedAsync();
        await InsertAsync(3000);
        var target = await cluster.SqlAsync("SELECT pg_current_wal_insert_lsn()");
        await InsertAsync(3000);
        var last = await cluster.SwitchAndWaitArchivedAsync();
        await OnceAsync();

        var cycles = await new ArchiveInspector(sandbox).CyclesAsync();
        var cycle = Assert.Single(cycles, c => c.Base is not null);
        Assert.Equal(megabytes << 20, cycle.Base!.Value.GetProperty("walSegmentSize").GetInt64());
        var start = cycle.Base.Value.GetProperty("startWalFile").GetString()!;
        var perLog = 0x1_0000_0000UL / ((ulong)megabytes << 20);
        var expected = Enumerable.Range(0, int.MaxValue)
            .Select(i => PgBorg.Archiving.WalFileName.Of(1, PgBorg.Archiving.WalFileName.SegmentNumber(start, megabytes << 20) + (ulong)i, megabytes << 20))
            .TakeWhile(s => string.CompareOrdinal(s, last) <= 0).ToList();
        Assert.True(perLog > 0 && expected.Count > 0);
        var missing = expected.Except(cycle.WalFiles).ToList();
        Assert.True(missing.Count == 0, "missing: " + string.Join(", ", missing));

        await cluster.StopAsync();
        Directory.Delete(cluster.DataDirectory, recursive: true);
        var restore = await sandbox.PgBorgAsync(["pgcarestore", "restore", "--lsn", target, "--target-action", "promote"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        await cluster.StartAgainAsync();
        await cluster.WaitPromotedAsync();
        Assert.Equal("6000", await cluster.SqlAsync("SELECT count(*) FROM t"));
        // the new timeline, which begins inside a segment, is archived too
        await InsertAsync(100);
        var onTwo = await cluster.SwitchAndWaitArchivedAsync();
        Assert.StartsWith("00000002", onTwo);
        Assert.Equal(onTwo, await cluster.SqlAsync("SELECT last_archived_wal FROM pg_stat_archiver"));
        await OnceAsync();
        Assert.Contains(onTwo, (await new ArchiveInspector(sandbox).CyclesAsync()).SelectMany(c => c.WalFiles));
    }
}
