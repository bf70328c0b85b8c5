using PgBorg.Archiving;
using static PgBorg.Tests.CycleVerifierTests;

namespace PgBorg.Tests;

/// <summary>Which cycles of a failed base pgcad deletes in a later round, and which it must leave alone.</summary>
public sealed class LeftoverCyclesTests
{
    private const string A = "20261206T040000Z";
    private const string Failed = "20261206T060000Z";
    private const string B = "20261206T080000Z";
    private const string Newest = "20261206T100000Z";

    private static readonly HashSet<string> NoSpool = [];

    private static List<string> Selected(IReadOnlySet<string> spooled, params StoredCycle[] cycles) =>
        LeftoverCycles.Select(cycles, spooled).Select(c => c.Stamp).ToList();

    [Fact]
    public void A_failed_cycle_without_spool_whose_WAL_the_previous_complete_cycle_holds_is_deleted() =>
        Assert.Equal([Failed], Selected(NoSpool, Cycle(A, Base(A, 2, 3), Range(1, 2, 9)), Cycle(Failed, null, Range(1, 5, 7)), Cycle(B, Base(B, 8, 9), Range(1, 8, 9))));

    [Fact]
    public void WAL_split_between_both_complete_neighbours_is_held() =>
        Assert.Equal([Failed], Selected(NoSpool, Cycle(A, Base(A, 2, 3), Range(1, 2, 8)), Cycle(Failed, null, Range(1, 5, 10)), Cycle(B, Base(B, 8, 9), Range(1, 8, 12))));

    [Fact]
    public void An_incomplete_base_goes_with_its_WAL()
    {
        var failed = Cycle(Failed, Base(Failed, 5, 6, complete: false), Range(1, 5, 6));
        Assert.Equal([Failed], Selected(NoSpool, Cycle(A, Base(A, 2, 3), Range(1, 2, 9)), failed));
    }

    [Fact]
    public void A_cycle_with_a_spool_is_in_progress_or_not_yet_retired_and_stays() =>
        Assert.Empty(Selected(new HashSet<string> { Failed }, Cycle(A, Base(A, 2, 3), Range(1, 2, 9)), Cycle(Failed, null, Range(1, 5, 7))));

    [Fact]
    public void The_newest_cycle_without_spool_cannot_become_complete_and_goes_too() =>
        Assert.Equal([Newest], Selected(NoSpool, Cycle(A, Base(A, 2, 3), Range(1, 2, 9)), Cycle(Newest, null, Range(1, 8, 9))));

    [Fact]
    public void WAL_that_no_complete_neighbour_holds_stays()
    {
        // segment 10 is only in the failed cycle (the previous cycle's copy lost, or not ingested yet)
        Assert.Empty(Selected(NoSpool, Cycle(A, Base(A, 2, 3), Range(1, 2, 9)), Cycle(Failed, null, Range(1, 8, 10))));
        // older than every complete cycle: no previous neighbour, and the next one started later
        Assert.Empty(Selected(NoSpool, Cycle(Failed, null, Range(1, 1, 3)), Cycle(B, Base(B, 4, 5), Range(1, 4, 8))));
    }

    [Fact]
    public void WAL_whose_files_are_unknown_stays()
    {
        var failed = Cycle(Failed, null);
        failed.WalBatches.Add(new WalBatch($"h~main~pg15~wal~{Seg(1, 5)}~{Seg(1, 6)}~{Failed}", null));
        Assert.Empty(Selected(NoSpool, Cycle(A, Base(A, 2, 3), Range(1, 2, 9)), failed));
    }

    [Fact]
    public void Complete_cycles_are_never_leftovers() =>
        Assert.Equal([Failed], Selected(NoSpool, Cycle(A, Base(A, 2, 3), Range(1, 2, 9)), Cycle(Failed, null, Range(1, 4, 5)), Cycle(B, Base(B, 4, 5), Range(1, 4, 9))));
}
