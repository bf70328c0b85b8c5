using PgBorg.Archiving;
using PgBorg.Dumps;
using PgBorg.Restore;
using PgBorg.RestorePoints;

namespace PgBorg.Tests;

/// <summary>With the WAL index, a restore point made by plain SQL picks the right base and targets outside the archive are refused.</summary>
public sealed class WalIndexPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 4, 0, 0, TimeSpan.Zero);

    private static string Seg(int n) => $"0000000100000000000000{n:X2}";

    /// <summary>A complete cycle whose base ran in segment <paramref name="first"/>, ended <paramref name="minutes"/> after T0, with WAL up to <paramref name="last"/>.</summary>
    private static StoredCycle Cycle(int minutes, int first, int last, Func<string, WalSegmentIndex?> index)
    {
        var stamp = $"20261206T04{minutes:D2}00Z";
        var c = new StoredCycle(stamp)
        {
            BaseArchive = $"h~main~pg15~base~{stamp}",
            Base = new BaseMetadata(BaseMetadata.CurrentFormat, true, "h", "main", stamp, 15, 150000, "1", 1, 16 << 20,
                $"0/{first:X}000028", Seg(first), $"0/{first:X}000100", Seg(first), T0.AddMinutes(minutes), T0.AddMinutes(minutes).AddSeconds(1),
                "direct", "", "", []),
        };
        var files = Enumerable.Range(first, last - first + 1).Select(Seg).ToList();
        var entries = files.Select(index).ToList();
        var segments = entries.All(e => e is not null) ? entries.Select(e => e!).ToList() : null;
        c.WalBatches.Add(new WalBatch($"h~main~pg15~wal~{files[0]}~{files[^1]}~{stamp}",
            new WalBatchMetadata(segments is null ? "pgborg-wal/1" : WalBatchMetadata.CurrentFormat, "h", "main", stamp, files, 0, T0, segments)));
        return c;
    }

    /// <summary>Segment n holds one commit n minutes after T0 and the points given for it.</summary>
    private static WalSegmentIndex Indexed(string file, params (int Segment, string Name)[] points)
    {
        var n = (int)WalFileName.SegmentNumber(file, 16 << 20);
        var commit = new WalCommit($"0/{n:X}000100", T0.AddMinutes(n));
        var here = points.Where(p => p.Segment == n).Select(p => new WalRestorePoint(p.Name, $"0/{n:X}000200", T0.AddMinutes(n).AddSeconds(1), 1)).ToList();
        return new WalSegmentIndex(file, 16 << 20, "00", here.Count > 0 ? here : null, commit, commit);
    }

    private static (StoredCycle Cycle, string? Note) Choose(IReadOnlyList<StoredCycle> cycles, RestoreTarget target, IReadOnlyList<RestorePointMetadata>? recorded = null)
    {
        recorded ??= [];
        return RestorePlanner.Choose(cycles, recorded, target, WalIndexView.Of(cycles, recorded));
    }

    [Fact]
    public void A_plain_sql_restore_point_chooses_the_newest_base_that_ended_before_it()
    {
        // bases end in minutes 2, 5 and 9; the point is in segment 7
        var cycles = new[] { 2, 5, 9 }.Select(m => Cycle(m, m, 10, f => Indexed(f, (7, "before-upgrade")))).ToList();
        var (chosen, note) = Choose(cycles, new RestoreTarget(TargetKind.RestorePoint, Name: "before-upgrade"));
        Assert.Equal("20261206T040500Z", chosen.Stamp);
        Assert.Null(note);
    }

    [Fact]
    public void An_unknown_restore_point_exits_3_listing_the_known_ones_newest_twenty()
    {
        var names = Enumerable.Range(3, 25).Select(n => (n, $"p{n}")).ToArray();
        var cycles = new List<StoredCycle> { Cycle(2, 2, 30, f => Indexed(f, names)) };
        var e = Assert.Throws<NotFoundException>(() => Choose(cycles, new RestoreTarget(TargetKind.RestorePoint, Name: "nope")));
        var lines = e.Message.Split('\n');
        Assert.Equal("restore point nope is not in the archive (neither recorded by pgbuptool nor found in the archived WAL); known restore points (the newest 20 of 25):", lines[0]);
        Assert.Equal(21, lines.Length);
        Assert.Equal("  p8 (2026-12-06 04:08:01 UTC, LSN 0/8000200, timeline 1, wal)", lines[1]);
        Assert.Equal("  p27 (2026-12-06 04:27:01 UTC, LSN 0/1B000200, timeline 1, wal)", lines[^1]);
    }

    [Fact]
    public void An_unknown_restore_point_with_unindexed_wal_falls_back_to_the_oldest_base_and_says_what_it_could_not_check()
    {
        var cycles = new List<StoredCycle> { Cycle(2, 2, 4, _ => null), Cycle(5, 5, 8, f => Indexed(f)) };
        var (chosen, note) = Choose(cycles, new RestoreTarget(TargetKind.RestorePoint, Name: "old-point"));
        Assert.Equal("20261206T040200Z", chosen.Stamp);
        Assert.Equal("restore point old-point is not recorded by pgbuptool nor found in the indexed WAL; using the oldest complete base, which reaches it "
            + "if it was created after 2026-12-06 04:02:01 UTC (3 WAL segment(s) have no index (archived before pgborg indexed WAL, or unreadable to pg_waldump): "
            + "their restore points and commit times could not be checked)", note);
    }

    [Fact]
    public void A_time_after_the_newest_archived_commit_exits_3_naming_the_window()
    {
        var cycles = new List<StoredCycle> { Cycle(2, 2, 8, f => Indexed(f)) };
        var e = Assert.Throws<NotFoundException>(() => Choose(cycles, new RestoreTarget(TargetKind.Time, Time: T0.AddMinutes(8).AddSeconds(1))));
        Assert.Equal("nothing was archived to reach time 2026-12-06 04:08:01 UTC: the newest archived commit is at 2026-12-06 04:08:00 UTC (LSN 0/8000100); "
            + "recoverable window: timeline 1: 2026-12-06 04:02:01 .. 2026-12-06 04:08:00 UTC. WAL still in pg_wal or in pgcad's spool is not in the archive yet", e.Message);
        Assert.Equal("20261206T040200Z", Choose(cycles, new RestoreTarget(TargetKind.Time, Time: T0.AddMinutes(8))).Cycle.Stamp);
    }

    [Fact]
    public void A_time_before_the_oldest_base_ended_exits_3_naming_the_window()
    {
        var cycles = new List<StoredCycle> { Cycle(2, 2, 8, f => Indexed(f)) };
        var e = Assert.Throws<NotFoundException>(() => Choose(cycles, new RestoreTarget(TargetKind.Time, Time: T0.AddMinutes(1))));
        Assert.EndsWith("; recoverable window: timeline 1: 2026-12-06 04:02:01 .. 2026-12-06 04:08:00 UTC", e.Message);
    }

    [Fact]
    public void A_time_after_the_indexed_commits_is_not_refused_when_newer_segments_have_no_index()
    {
        var cycles = new List<StoredCycle> { Cycle(2, 2, 5, f => Indexed(f)), Cycle(6, 6, 8, _ => null) };
        var (chosen, note) = Choose(cycles, new RestoreTarget(TargetKind.Time, Time: T0.AddMinutes(30)));
        Assert.Equal("20261206T040600Z", chosen.Stamp);
        Assert.StartsWith("3 WAL segment(s) have no index", note);
    }

    [Fact]
    public void A_point_pgbuptool_recorded_is_listed_once_and_a_plain_one_as_found_in_the_wal()
    {
        var recorded = new RestorePointMetadata(RestorePointMetadata.CurrentFormat, "h", "main", "restorepoint-x", "0/3000262", 1, T0.AddMinutes(3), Seg(3));
        var cycles = new List<StoredCycle> { Cycle(2, 2, 5, f => Indexed(f, (3, "restorepoint-x"), (4, "plain"))) };
        var points = WalIndexView.Of(cycles, [recorded]).Points;
        Assert.Equal(["restorepoint-x pgbuptool", "plain wal"], points.Select(p => $"{p.Name} {p.Source}"));
    }
}
