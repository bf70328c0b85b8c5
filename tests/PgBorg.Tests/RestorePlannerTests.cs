using PgBorg.Archiving;
using PgBorg.Restore;

namespace PgBorg.Tests;

/// <summary>Choosing a base refuses what PostgreSQL would refuse at start-up, before anything is extracted.</summary>
public sealed class RestorePlannerTests
{
    private const string Stamp = "20261206T040000Z";

    private static StoredCycle Cycle(uint timeline, string startWal, params string[] walFiles)
    {
        var c = new StoredCycle(Stamp)
        {
            BaseArchive = $"h~main~pg15~base~{Stamp}",
            Base = new BaseMetadata(BaseMetadata.CurrentFormat, true, "h", "main", Stamp, 15, 150000, "1", timeline, 16 << 20,
                "0/4000028", startWal, "0/4000100", startWal, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(1),
                "direct", "", "", []),
        };
        c.WalBatches.Add(new WalBatch($"h~main~pg15~wal~x~y~{Stamp}", new WalBatchMetadata(WalBatchMetadata.CurrentFormat, "h", "main", Stamp, [.. walFiles], 0, DateTimeOffset.UnixEpoch)));
        return c;
    }

    private static RestorePlan Plan(StoredCycle c) => RestorePlanner.Plan([c], [], RestoreTarget.Latest, "promote", "pgborg wal-fetch %f %p");

    [Fact]
    public void A_timeline_that_forked_before_the_base_began_is_refused_with_the_reason()
    {
        // promoted at an LSN in segment 3 after the base of this cycle started in segment 4 on timeline 1
        var c = Cycle(1, "000000010000000000000004", "000000010000000000000004", "000000010000000000000005", "00000002.history", "000000020000000000000003", "000000020000000000000004");
        var e = Assert.Throws<UnsafeException>(() => Plan(c));
        Assert.Contains("a newer timeline forked off before the base", e.Message);
        Assert.Contains("000000020000000000000003", e.Message);
    }

    [Fact]
    public void The_base_timelines_partial_segment_before_the_base_shows_the_fork_before_any_new_segment_is_archived()
    {
        var c = Cycle(1, "000000010000000000000004", "000000010000000000000004", "000000010000000000000005", "000000010000000000000003.partial", "00000002.history");
        Assert.Contains("000000010000000000000003.partial", Assert.Throws<UnsafeException>(() => Plan(c)).Message);
    }

    [Fact]
    public void A_timeline_that_forked_after_the_base_began_is_followed()
    {
        var c = Cycle(1, "000000010000000000000004", "000000010000000000000004", "000000010000000000000005", "00000002.history", "000000020000000000000005", "000000020000000000000006");
        Assert.Equal("000000020000000000000006", Plan(c).LastWal);
    }
}
