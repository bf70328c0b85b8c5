using PgBorg.Archiving;

namespace PgBorg.Tests;

/// <summary>What pgcad reads from a cycle's stored WAL to decide that a promotion needs a new base.</summary>
public sealed class StoredCycleTests
{
    private static StoredCycle With(params string[][] batches)
    {
        var cycle = new StoredCycle("20261206T040000Z");
        foreach (var files in batches)
        {
            cycle.WalBatches.Add(new WalBatch($"h~main~pg15~wal~{files[0]}~{files[^1]}~20261206T040000Z",
                new WalBatchMetadata(WalBatchMetadata.CurrentFormat, "h", "main", "20261206T040000Z", [.. files], 0, DateTimeOffset.UnixEpoch)));
        }
        return cycle;
    }

    [Fact]
    public void The_newest_timeline_is_the_highest_of_segments_history_and_backup_history_files()
    {
        Assert.Equal(1u, With(["000000010000000000000003", "000000010000000000000003.00000028.backup"]).NewestTimeline);
        Assert.Equal(2u, With(["000000010000000000000004"], ["00000002.history", "000000020000000000000003"]).NewestTimeline);
        Assert.Equal(3u, With(["00000003.history"]).NewestTimeline);
    }

    [Fact]
    public void A_cycle_without_WAL_has_no_newest_timeline() => Assert.Null(With().NewestTimeline);
}
