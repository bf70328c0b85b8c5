using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>The original README's restore sequence, verbatim, then timelines: archiving goes on after the fork and both sides of it restore.</summary>
public sealed class RestoreSequenceTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private async Task InsertAsync(int from, int to) =>
        await _cluster.SqlAsync($"INSERT INTO t SELECT g, md5(g::text) FROM generate_series({from}, {to}) g", "app");

    private async Task SwitchAndArchiveAsync()
    {
        await _cluster.SwitchAndWaitArchivedAsync();
        await _sandbox.PgcadOnceAsync();
    }

    private async Task<string> RestoreCountAsync(string time, int port)
    {
        using var dir = new TempDir("pgborg-tl");
        var data = Path.Combine(dir.Path, "data");
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--time", time, "--target-dir", data, "--target-action", "promote"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        await using var server = await RestoredServer.StartAsync(data, port);
        await server.WaitPromotedAsync();
        return await server.SqlAsync("SELECT count(*) || ':' || max(id) FROM t", "app");
    }

    [Fact(Timeout = 600_000)]
    public async Task The_original_sequence_brings_the_instance_back_and_archiving_goes_on_across_the_new_timeline()
    {
        await _cluster.SqlAsync("CREATE DATABASE app");
        await _cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text)", "app");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        await _sandbox.PgcadOnceAsync();
        await InsertAsync(1, 50);
        await Task.Delay(1100);
        var beforeFork = await _cluster.SqlAsync("SELECT now()");
        await Task.Delay(1100);
        await InsertAsync(51, 100);
        await SwitchAndArchiveAsync();

        // systemctl stop pgcad (nothing runs between rounds); systemctl stop postgresql; rm -rf DATADIR
        await _cluster.StopAsync();
        Directory.Delete(_cluster.DataDirectory, recursive: true);
        // pgcarestore restore
        var restore = await _sandbox.PgBorgAsync(["pgcarestore", "restore"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("Next:", restore.Stdout);
        // systemctl start postgresql
        await _cluster.StartAgainAsync();
        await _cluster.WaitPromotedAsync();
        Assert.Equal("100:100", await _cluster.SqlAsync("SELECT count(*) || ':' || max(id) FROM t", "app"));
        Assert.Equal("2", await _cluster.SqlAsync("SELECT timeline_id FROM pg_control_checkpoint()"));
        // systemctl start pgcad: archiving resumes, on the new timeline
        await _sandbox.PgcadOnceAsync();
        await InsertAsync(101, 200);
        await Task.Delay(1100);
        var onNewTimeline = await _cluster.SqlAsync("SELECT now()");
        await Task.Delay(1100);
        await InsertAsync(201, 300);
        await SwitchAndArchiveAsync();

        var files = (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles).ToList();
        Assert.Contains("00000002.history", files);
        Assert.Contains(files, f => f.StartsWith("00000002", StringComparison.Ordinal) && f.Length == 24);

        Assert.Equal("200:200", await RestoreCountAsync(onNewTimeline, 45001 + Environment.ProcessId % 500));
        Assert.Equal("50:50", await RestoreCountAsync(beforeFork, 45601 + Environment.ProcessId % 500));
    }

    [Fact(Timeout = 600_000)]
    public async Task After_a_promotion_inside_a_segment_the_new_timelines_first_segment_is_archived()
    {
        await _cluster.SqlAsync("CREATE DATABASE app");
        await _cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text)", "app");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        await _sandbox.PgcadOnceAsync();
        await InsertAsync(1, 100);
        var target = await _cluster.SqlAsync("SELECT pg_current_wal_insert_lsn()");
        var targetSegment = await _cluster.SqlAsync($"SELECT pg_walfile_name('{target}')");
        await InsertAsync(101, 200);
        await SwitchAndArchiveAsync();

        await _cluster.StopAsync();
        Directory.Delete(_cluster.DataDirectory, recursive: true);
        var restore = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--lsn", target, "--target-action", "promote"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        await _cluster.StartAgainAsync();
        await _cluster.WaitPromotedAsync();
        Assert.Equal("100:100", await _cluster.SqlAsync("SELECT count(*) || ':' || max(id) FROM t", "app"));

        // timeline 2 begins inside targetSegment: PostgreSQL copied timeline 1's pages into its first segment
        var first = "00000002" + targetSegment[8..];
        await InsertAsync(101, 300);
        var last = await _cluster.SwitchAndWaitArchivedAsync();
        Assert.True(string.CompareOrdinal(first, last) <= 0, $"{first} > {last}");
        var archiver = await _cluster.SqlAsync("SELECT coalesce(last_archived_wal, '') || ' ' || failed_count FROM pg_stat_archiver");
        Assert.True(archiver == $"{last} 0", $"pg_stat_archiver: {archiver} (expected {last}, no failures)");
        await _sandbox.PgcadOnceAsync();
        var files = (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles).ToHashSet();
        Assert.Contains(first, files);
        Assert.Contains("00000002.history", files);

        // and the new timeline restores from it
        await _cluster.StopAsync();
        Directory.Delete(_cluster.DataDirectory, recursive: true);
        restore = await _sandbox.PgBorgAsync(["pgcarestore", "restore"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        await _cluster.StartAgainAsync();
        await _cluster.WaitPromotedAsync();
        Assert.Equal("300:300", await _cluster.SqlAsync("SELECT count(*) || ':' || max(id) FROM t", "app"));
    }
}
