using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Marker rows committed one by one with known commit times and transaction ids, restore points and an LSN between
/// them, and a second base after marker 2; each kind of target restores exactly the markers committed before it from
/// the newest base that ended before it, and pg_amcheck passes.
/// </summary>
public sealed class RestoreExactnessFixture : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;
    public Sandbox Sandbox { get; } = new();
    public Dictionary<int, (DateTimeOffset CommitTime, string Xid, string LsnAfter)> Markers { get; } = [];
    public string RestorePoint { get; private set; } = "";
    public string PlainSqlRestorePoint { get; } = "by-hand";

    /// <summary>The cycles' stamps, oldest first: the second base ended after marker 2 and the recorded point, before marker 3.</summary>
    public List<string> Cycles { get; } = [];

    public async ValueTask InitializeAsync()
    {
        Cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "track_commit_timestamp = on\n");
        await Cluster.SqlAsync("CREATE DATABASE exact");
        await Cluster.SqlAsync("CREATE TABLE markers (id int PRIMARY KEY, payload text); CREATE INDEX ON markers (payload)", "exact");
        Sandbox.WriteConfig(Sandbox.ArchiveConfig(Cluster));
        var first = await Sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        if (first.ExitCode != 0)
        {
            throw new InvalidOperationException(first.ToString());
        }
        for (var id = 1; id <= 6; id++)
        {
            var row = await Cluster.SqlAsync(
                $"INSERT INTO markers VALUES ({id}, repeat('m{id}', 1000)) RETURNING pg_current_xact_id()::text", "exact");
            var xid = row.Split('\n')[0];
            var commit = await Cluster.SqlAsync($"SELECT pg_xact_commit_timestamp('{xid}'::xid8::xid)");
            var lsn = await Cluster.SqlAsync("SELECT pg_current_wal_insert_lsn()");
            Markers[id] = (DateTimeOffset.Parse(commit, CultureInfo.InvariantCulture), xid, lsn);
            if (id == 2)
            {
                var rp = await Sandbox.PgBorgAsync("pgbuptool", "restorepoint", "after-two");
                if (rp.ExitCode != 0)
                {
                    throw new InvalidOperationException(rp.ToString());
                }
                RestorePoint = rp.Stdout.Trim();
                var second = await Sandbox.PgBorgAsync(["pgcad", "--once", "--new-cycle"], null, timeout: TimeSpan.FromMinutes(4));
                if (second.ExitCode != 0)
                {
                    throw new InvalidOperationException(second.ToString());
                }
            }
            if (id == 3)
            {
                await Cluster.SqlAsync($"SELECT pg_create_restore_point('{PlainSqlRestorePoint}')");
            }
            await Task.Delay(1200);
        }
        await Cluster.SwitchAndWaitArchivedAsync();
        var last = await Sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        if (last.ExitCode != 0)
        {
            throw new InvalidOperationException(last.ToString());
        }
        Cycles.AddRange((await new ArchiveInspector(Sandbox).CyclesAsync()).Where(c => c.Base is not null).Select(c => c.Stamp).Order(StringComparer.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Sandbox.Dispose();
    }
}

public sealed class RestoreExactnessTests(RestoreExactnessFixture f) : IClassFixture<RestoreExactnessFixture>
{
    private static int _port = 40000 + Environment.ProcessId % 1000 * 10;

    private async Task<string> RestoreAndReadAsync(int expectedLast, params string[] target)
    {
        using var dir = new TempDir("pgborg-restore");
        var data = Path.Combine(dir.Path, "data");
        var env = new Dictionary<string, string> { ["TZ"] = "America/New_York" };
        var r = await f.Sandbox.PgBorgAsync(["pgcarestore", "restore", .. target, "--target-dir", data, "--target-action", "promote"], env, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("700", Convert.ToString((int)File.GetUnixFileMode(data), 8));
        await using var server = await RestoredServer.StartAsync(data, Interlocked.Increment(ref _port));
        await server.WaitPromotedAsync();
        var ids = await server.SqlAsync("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM markers", "exact");
        Assert.Equal(string.Join(',', Enumerable.Range(1, expectedLast)), ids);
        var amcheck = await server.AmcheckAsync();
        Assert.True(amcheck.ExitCode == 0, amcheck.ToString());
        Assert.False(Directory.Exists(Path.Combine(data, "pgborg_restore")), "the restore area is removed when recovery ends");
        return r.Stdout;
    }

    [Fact(Timeout = 300_000)]
    public async Task A_time_in_local_time_restores_exactly_the_markers_committed_before_it()
    {
        // halfway between the commits of markers 3 and 4, written in New York time without an offset
        var t = f.Markers[3].CommitTime + (f.Markers[4].CommitTime - f.Markers[3].CommitTime) / 2;
        var local = TimeZoneInfo.ConvertTime(t, TimeZoneInfo.FindSystemTimeZoneById("America/New_York")).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        await RestoreAndReadAsync(3, "--time", local);
    }

    private static string BaseCycle(string restoreOutput) => Regex.Match(restoreOutput, @"^base:\s+\S+~(\d{8}T\d{6}Z) ", RegexOptions.Multiline).Groups[1].Value;

    [Fact(Timeout = 300_000)]
    public async Task A_recorded_restore_point_restores_exactly_what_was_before_it()
    {
        var output = await RestoreAndReadAsync(2, "--restore-point", f.RestorePoint);
        Assert.Equal(f.Cycles[0], BaseCycle(output));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_restore_point_made_with_plain_SQL_restores_exactly_from_the_newest_base_that_ended_before_it()
    {
        // found by the WAL index at ingest: the second base, not the oldest
        Assert.Equal(2, f.Cycles.Count);
        var output = await RestoreAndReadAsync(3, "--restore-point", f.PlainSqlRestorePoint);
        Assert.Equal(f.Cycles[1], BaseCycle(output));
    }

    [Fact(Timeout = 120_000)]
    public async Task An_unknown_restore_point_exits_3_and_lists_the_known_ones()
    {
        var r = await f.Sandbox.PgBorgAsync("pgcarestore", "restore", "--restore-point", "no-such-point", "--target-dir", "/nonexistent/pgborg-never");
        Assert.True(r.ExitCode == 3, r.ToString());
        var lines = r.Stderr.Split('\n');
        Assert.Contains(lines, l => l.EndsWith("restore point no-such-point is not in the archive (neither recorded by pgbuptool nor found in the archived WAL); known restore points:",
            StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, $@"^  {f.RestorePoint} \(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC, LSN [0-9A-F]+/[0-9A-F]+, timeline 1, pgbuptool\)$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, $@"^  {f.PlainSqlRestorePoint} \(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC, LSN [0-9A-F]+/[0-9A-F]+, timeline 1, wal\)$"));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_time_after_the_newest_archived_commit_exits_3_naming_the_recoverable_window()
    {
        var r = await f.Sandbox.PgBorgAsync("pgcarestore", "info", "--time", DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd HH:mm:ss+00", CultureInfo.InvariantCulture));
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Matches(@"nothing was archived to reach time .* UTC: the newest archived commit is at .* UTC \(LSN [0-9A-F]+/[0-9A-F]+\); "
            + @"recoverable window: timeline 1: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \.\. \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? UTC\. ", r.Stderr);
    }

    [Fact(Timeout = 300_000)]
    public Task An_LSN_restores_everything_written_before_it() => RestoreAndReadAsync(4, "--lsn", f.Markers[4].LsnAfter);

    [Fact(Timeout = 300_000)]
    public Task A_transaction_id_restores_up_to_and_including_its_commit() => RestoreAndReadAsync(5, "--xid", f.Markers[5].Xid);

    [Fact(Timeout = 300_000)]
    public Task No_target_restores_the_latest_archived_state() => RestoreAndReadAsync(6);

    [Fact(Timeout = 120_000)]
    public async Task Pgbuptool_lists_the_recorded_point_with_its_LSN_and_timeline()
    {
        var r = await f.Sandbox.PgBorgAsync("pgbuptool", "list");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches($@"(?m)^{f.RestorePoint}\t\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\tLSN [0-9A-F]+/[0-9A-F]+\ttimeline 1\tpgbuptool$", r.Stdout);
        Assert.Matches($@"(?m)^{f.PlainSqlRestorePoint}\t\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\tLSN [0-9A-F]+/[0-9A-F]+\ttimeline 1\twal$", r.Stdout);
        Assert.Equal(2, r.Stdout.Trim().Split('\n').Length);
        Assert.Matches(@"^restorepoint-\d{8}T\d{6}Z-after-two$", f.RestorePoint);
        var json = await f.Sandbox.PgBorgAsync("pgbuptool", "list", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal([$"{f.RestorePoint} pgbuptool", $"{f.PlainSqlRestorePoint} wal"],
            doc.RootElement.EnumerateArray().Select(p => $"{p.GetProperty("name").GetString()} {p.GetProperty("source").GetString()}"));
    }

    [Fact(Timeout = 120_000)]
    public async Task Info_and_dry_run_say_which_base_which_WAL_and_which_settings_and_touch_nothing()
    {
        using var dir = new TempDir("pgborg-dry");
        var data = Path.Combine(dir.Path, "data");
        var info = await f.Sandbox.PgBorgAsync("pgcarestore", "info", "--xid", f.Markers[5].Xid);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("base:", info.Stdout);
        Assert.Contains("WAL:", info.Stdout);
        Assert.Contains($"recovery_target_xid = '{f.Markers[5].Xid}'", info.Stdout);
        // the window from the oldest base's end to the newest archived commit, and every restore point
        var oldestEnd = await OldestBaseEndAsync();
        Assert.Matches($@"(?m)^window:       timeline 1: {Regex.Escape(oldestEnd)} \.\. \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? UTC$", info.Stdout);
        Assert.Matches($@"(?m)^point:        {f.RestorePoint} \(.*, pgbuptool\)$", info.Stdout);
        Assert.Matches($@"(?m)^point:        {f.PlainSqlRestorePoint} \(.*, wal\)$", info.Stdout);
        Assert.DoesNotContain("unchecked:", info.Stdout);
        var json = await f.Sandbox.PgBorgAsync("pgcarestore", "info", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var doc = JsonDocument.Parse(json.Stdout))
        {
            var window = doc.RootElement.GetProperty("windows").EnumerateArray().Single();
            Assert.Equal(1, window.GetProperty("timeline").GetInt32());
            // the newest archived commit is marker 6's (or a later one archived with it)
            Assert.True(window.GetProperty("to").GetDateTimeOffset() >= f.Markers[6].CommitTime, json.Stdout);
            Assert.Equal(2, doc.RootElement.GetProperty("restorePoints").GetArrayLength());
            Assert.Equal(0, doc.RootElement.GetProperty("unindexedSegments").GetInt32());
        }
        var dry = await f.Sandbox.PgBorgAsync("pgcarestore", "restore", "--dry-run", "--target-dir", data);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("restore_command", dry.Stdout);
        Assert.False(Directory.Exists(data));
    }

    /// <summary>The oldest base's end as the window prints it (microseconds where there are any).</summary>
    private async Task<string> OldestBaseEndAsync()
    {
        var cycle = (await new ArchiveInspector(f.Sandbox).CyclesAsync()).Single(c => c.Stamp == f.Cycles[0]);
        var stopped = cycle.Base!.Value.GetProperty("stoppedAt").GetDateTimeOffset();
        return stopped.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture);
    }

    [Fact(Timeout = 120_000)]
    public async Task Nothing_before_the_target_exits_3_and_an_unsafe_target_exits_4()
    {
        var early = await f.Sandbox.PgBorgAsync("pgcarestore", "info", "--time", "2001-01-01");
        Assert.Equal(3, early.ExitCode);
        Assert.Contains("no base backup ended before", early.Stderr);
        Assert.Contains($"; recoverable window: timeline 1: {await OldestBaseEndAsync()} .. ", early.Stderr);

        using var dir = new TempDir("pgborg-nonempty");
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "precious"), "x");
        var nonEmpty = await f.Sandbox.PgBorgAsync("pgcarestore", "restore", "--target-dir", dir.Path);
        Assert.Equal(4, nonEmpty.ExitCode);
        Assert.Contains("not empty", nonEmpty.Stderr);
        Assert.Equal("x", await File.ReadAllTextAsync(Path.Combine(dir.Path, "precious")));

        var running = await f.Sandbox.PgBorgAsync("pgcarestore", "restore");
        Assert.Equal(4, running.ExitCode);
        Assert.Contains("PostgreSQL is running", running.Stderr);
    }
}
