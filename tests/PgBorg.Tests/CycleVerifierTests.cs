using PgBorg.Archiving;
using PgBorg.Verify;

namespace PgBorg.Tests;

/// <summary>verify's checks from metadata alone: bases and tablespaces, WAL continuity per timeline, history files, sizes and copies.</summary>
public sealed class CycleVerifierTests
{
    private const long SegmentSize = 16 * 1024 * 1024;
    private const string C1 = "20261206T040000Z";
    private const string C2 = "20261206T080000Z";
    private const string C3 = "20261206T120000Z";

    internal static string Seg(uint tli, ulong n) => WalFileName.Of(tli, n, SegmentSize);

    internal static BaseMetadata Base(string cycle, ulong start, ulong stop, uint tli = 1, bool complete = true, params TablespaceInfo[] tablespaces) =>
        new(BaseMetadata.CurrentFormat, complete, "h", "main", cycle, 15, 150000, "1", tli, SegmentSize, $"0/{start * (ulong)SegmentSize + 40:X}", Seg(tli, start),
            $"0/{stop * (ulong)SegmentSize + 256:X}", Seg(tli, stop), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "direct", "", "", [.. tablespaces]);

    internal static StoredCycle Cycle(string stamp, BaseMetadata? b, params string[][] batches)
    {
        var cycle = new StoredCycle(stamp) { Base = b, BaseArchive = b is null ? null : $"h~main~pg15~base~{stamp}" };
        foreach (var files in batches)
        {
            AddBatch(cycle, files, null);
        }
        return cycle;
    }

    private static void AddBatch(StoredCycle cycle, string[] files, List<WalSegmentIndex>? index, string? name = null) =>
        cycle.WalBatches.Add(new WalBatch(name ?? $"h~main~pg15~wal~{files[0]}~{files[^1]}~{cycle.Stamp}",
            new WalBatchMetadata(WalBatchMetadata.CurrentFormat, "h", "main", cycle.Stamp, [.. files], 0, DateTimeOffset.UnixEpoch, index)));

    internal static string[] Range(uint tli, ulong from, ulong to) => Enumerable.Range((int)from, (int)(to - from + 1)).Select(n => Seg(tli, (ulong)n)).ToArray();

    private static List<string> Lines(params StoredCycle[] cycles) => CycleVerifier.Check(cycles).Problems.Select(p => p.Line).ToList();

    [Fact]
    public void Overlapping_cycles_whose_WAL_reaches_the_next_base_hold()
    {
        var findings = CycleVerifier.Check([
            Cycle(C1, Base(C1, 2, 3), Range(1, 1, 4), Range(1, 5, 9)),
            Cycle(C2, Base(C2, 8, 9), Range(1, 7, 9), Range(1, 10, 12)),
        ]);
        Assert.Empty(findings.Problems);
        // the copies of 7..9 in both cycles have no checksums (batches of before the index)
        Assert.Contains(findings.Notes, n => n.StartsWith("3 WAL file(s) stored more than once have a copy without a recorded checksum", StringComparison.Ordinal));
    }

    [Fact]
    public void A_deleted_batch_is_one_line_naming_the_cycle_and_the_missing_range()
    {
        Assert.Equal([$"cycle {C1}: WAL {Seg(1, 5)}-{Seg(1, 6)} missing (timeline 1)"],
            Lines(Cycle(C1, Base(C1, 2, 3), Range(1, 1, 4), Range(1, 7, 9)), Cycle(C2, Base(C2, 8, 9), Range(1, 7, 12))));
    }

    [Fact]
    public void An_older_cycle_must_reach_the_stop_segment_of_the_next_base()
    {
        Assert.Equal([$"cycle {C1}: WAL {Seg(1, 8)}-{Seg(1, 9)} missing (timeline 1)"],
            Lines(Cycle(C1, Base(C1, 2, 3), Range(1, 2, 7)), Cycle(C2, Base(C2, 8, 9), Range(1, 8, 12))));
    }

    [Fact]
    public void WAL_before_the_base_start_is_not_needed_but_the_base_start_is()
    {
        Assert.Empty(Lines(Cycle(C1, Base(C1, 5, 6), Range(1, 5, 7))));
        Assert.Equal([$"cycle {C1}: WAL {Seg(1, 5)}-{Seg(1, 5)} missing (timeline 1)"], Lines(Cycle(C1, Base(C1, 5, 6), Range(1, 6, 7))));
    }

    [Fact]
    public void A_timeline_switch_needs_its_history_file()
    {
        // promoted inside segment 6: timeline 1's segment 6 is archived as .partial, timeline 2 begins with segment 6
        string[] promoted = [.. Range(1, 2, 5), Seg(1, 6) + ".partial", .. Range(2, 6, 8)];
        Assert.Empty(Lines(Cycle(C1, Base(C1, 2, 3), [.. promoted, "00000002.history"])));
        Assert.Equal([$"cycle {C1}: WAL {Seg(2, 6)}-{Seg(2, 8)} is on timeline 2, whose history file 00000002.history is missing"],
            Lines(Cycle(C1, Base(C1, 2, 3), promoted)));
    }

    [Fact]
    public void A_gap_at_a_timeline_switch_is_named_on_the_timeline_that_lacks_it()
    {
        Assert.Equal([$"cycle {C1}: WAL {Seg(1, 5)}-{Seg(1, 5)} missing (timeline 1)"],
            Lines(Cycle(C1, Base(C1, 2, 3), [.. Range(1, 2, 4), "00000002.history", .. Range(2, 6, 8)])));
    }

    [Fact]
    public void A_missing_tablespace_archive_is_named_with_its_oid_and_path()
    {
        var cycle = Cycle(C1, Base(C1, 2, 3, 1, true, new TablespaceInfo(16384, "/srv/ts1"), new TablespaceInfo(16390, "/srv/ts2")), Range(1, 2, 3));
        cycle.TablespaceArchives.Add($"h~main~pg15~tblspc~16384~{C1}");
        Assert.Equal([$"cycle {C1}: tablespace 16390 (/srv/ts2) archive missing"], Lines(cycle));
    }

    [Fact]
    public void A_cycle_without_base_is_a_problem_between_complete_cycles_and_a_note_at_either_end()
    {
        var findings = CycleVerifier.Check([
            Cycle(C1, null, Range(1, 1, 3)),
            Cycle(C2, Base(C2, 4, 5), Range(1, 4, 8)),
            Cycle("20261206T100000Z", null, Range(1, 6, 10)), // segment 10: in neither complete neighbour
            Cycle(C3, Base(C3, 7, 8), Range(1, 7, 9)),
            Cycle("20261206T160000Z", null, Range(1, 9, 9)),
        ]);
        Assert.Equal(["cycle 20261206T100000Z: base archive missing"], findings.Problems.Select(p => p.Line));
        Assert.Contains(findings.Notes, n => n.StartsWith($"cycle {C1}: WAL without a base, older than every complete cycle", StringComparison.Ordinal));
        Assert.Contains("cycle 20261206T160000Z: no base yet (its base backup is in progress)", findings.Notes);
    }

    [Fact]
    public void A_cycle_without_base_whose_WAL_its_complete_neighbours_hold_is_a_leftover_note()
    {
        var findings = CycleVerifier.Check([
            Cycle(C2, Base(C2, 4, 5), Range(1, 4, 8)),
            Cycle("20261206T100000Z", null, Range(1, 6, 7), Range(1, 8, 9)), // 6..8 in C2, 9 in C3
            Cycle(C3, Base(C3, 7, 8), Range(1, 7, 9)),
        ]);
        Assert.Empty(findings.Problems);
        Assert.Contains("cycle 20261206T100000Z: leftover of a failed base, 2 archive(s) whose WAL a complete cycle also holds (pgcad deletes them)",
            findings.Notes);
    }

    [Fact]
    public void An_incomplete_newest_base_is_in_progress_and_the_older_cycle_still_needs_only_its_own_WAL()
    {
        var findings = CycleVerifier.Check([Cycle(C1, Base(C1, 2, 3), Range(1, 2, 6)), Cycle(C2, Base(C2, 6, 7, complete: false), Range(1, 5, 6))]);
        Assert.Empty(findings.Problems);
        Assert.Contains($"cycle {C2}: base not complete yet (waiting for the WAL that makes it consistent)", findings.Notes);
    }

    [Fact]
    public void No_complete_base_at_all_fails()
    {
        Assert.Equal(["cycle -: no cycle has a complete base backup"], Lines(Cycle(C1, Base(C1, 2, 3, complete: false), Range(1, 2, 3))));
        Assert.Equal(["cycle -: the archive holds no cycle of this instance"], Lines());
    }

    [Fact]
    public void Copies_with_different_checksums_are_a_problem_of_the_later_copy_and_equal_ones_hold()
    {
        var c1 = Cycle(C1, Base(C1, 2, 3));
        var c2 = Cycle(C2, Base(C2, 4, 5));
        AddBatch(c1, Range(1, 2, 5), Range(1, 2, 5).Select(f => new WalSegmentIndex(f, SegmentSize, "aa" + f)).ToList());
        AddBatch(c2, Range(1, 4, 6), Range(1, 4, 6).Select(f => new WalSegmentIndex(f, SegmentSize, f == Seg(1, 5) ? "bb0123456789abcdef" : "aa" + f)).ToList());
        var findings = CycleVerifier.Check([c1, c2]);
        Assert.Equal([$"cycle {C2}: WAL {Seg(1, 5)}-{Seg(1, 5)} stored twice with different content: SHA-256 aa0000000100 in h~main~pg15~wal~{Seg(1, 2)}~{Seg(1, 5)}~{C1} "
            + $"(cycle {C1}), bb0123456789 in h~main~pg15~wal~{Seg(1, 4)}~{Seg(1, 6)}~{C2}"], findings.Problems.Select(p => p.Line));
        Assert.Empty(findings.Notes);
    }

    [Fact]
    public void A_copy_without_checksum_is_not_checked_but_noted()
    {
        var c1 = Cycle(C1, Base(C1, 2, 3), Range(1, 2, 5));
        var c2 = Cycle(C2, Base(C2, 4, 5));
        AddBatch(c2, Range(1, 4, 6), Range(1, 4, 6).Select(f => new WalSegmentIndex(f, SegmentSize, "cc" + f)).ToList());
        var findings = CycleVerifier.Check([c1, c2]);
        Assert.Empty(findings.Problems);
        Assert.Equal(["4 stored WAL file(s) have no recorded size and checksum (stored before ingest recorded them): their sizes and copies are not checked",
            "2 WAL file(s) stored more than once have a copy without a recorded checksum: those copies are not checked"], findings.Notes);
    }

    [Fact]
    public void A_segment_of_the_wrong_size_is_a_problem()
    {
        var c1 = Cycle(C1, Base(C1, 2, 3));
        AddBatch(c1, Range(1, 2, 3), [new(Seg(1, 2), SegmentSize, "a"), new(Seg(1, 3), 8192, "b")]);
        Assert.Equal([$"cycle {C1}: WAL {Seg(1, 3)}-{Seg(1, 3)} is 8192 bytes in h~main~pg15~wal~{Seg(1, 2)}~{Seg(1, 3)}~{C1}, not the WAL segment size 16777216"],
            Lines(c1));
    }
}
