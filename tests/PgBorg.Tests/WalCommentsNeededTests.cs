using PgBorg.Archiving;

namespace PgBorg.Tests;

/// <summary>Which cycles' WAL comments pgcad reads at start: what it still works with, never a long retention's old cycles.</summary>
public sealed class WalCommentsNeededTests
{
    private static StoredCycle Cycle(string stamp, bool complete)
    {
        var at = DateTimeOffset.ParseExact(stamp, "yyyyMMdd'T'HHmmss'Z'", null);
        return new StoredCycle(stamp)
        {
            BaseArchive = "base-" + stamp,
            Base = new BaseMetadata(BaseMetadata.CurrentFormat, complete, "h", "main", stamp, 15, 150000, "1", 1, 16 << 20,
                "0/2000028", "000000010000000000000002", "0/2000100", "000000010000000000000002", at, at.AddMinutes(5), "direct", "", "", []),
        };
    }

    [Fact]
    public void Old_complete_cycles_are_read_by_name_only()
    {
        var cycles = new[] { Cycle("20261101T000000Z", true), Cycle("20261108T000000Z", true), Cycle("20261115T000000Z", true) };
        Assert.Equal(["20261115T000000Z"], CycleCatalog.WalCommentsNeeded(cycles, []).Order());
    }

    [Fact]
    public void Spooled_and_incomplete_cycles_and_the_complete_cycle_before_each_incomplete_one_are_read()
    {
        var cycles = new[]
        {
            Cycle("20261101T000000Z", true),
            Cycle("20261108T000000Z", true),
            Cycle("20261109T000000Z", false), // a failed start: its WAL is compared with the cycle before
            Cycle("20261115T000000Z", true),
            Cycle("20261122T000000Z", true),
            Cycle("20261129T000000Z", false), // the base in progress
        };
        Assert.Equal(["20261101T000000Z", "20261108T000000Z", "20261109T000000Z", "20261122T000000Z", "20261129T000000Z"],
            CycleCatalog.WalCommentsNeeded(cycles, ["20261101T000000Z", "20261129T000000Z"]).Order());
    }

    [Fact]
    public void Batches_without_a_comment_still_sort_in_WAL_order_by_their_names()
    {
        var archives = new[] { "000000010000000000000009", "000000010000000000000003" }
            .Select(f => new PgBorg.Borg.BorgArchiveEntry($"h~main~pg15~wal~{f}~{f}~20261101T000000Z", null, null)).ToList();
        var cycle = Assert.Single(CycleCatalog.Build([], archives, "h", "main"));
        Assert.Equal(["000000010000000000000003", "000000010000000000000009"], cycle.WalBatches.Select(w => w.FirstFile));
        Assert.All(cycle.WalBatches, w => Assert.Empty(w.Files));
    }
}
