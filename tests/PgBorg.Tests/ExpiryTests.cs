using PgBorg.Archiving;

namespace PgBorg.Tests;

public sealed class ExpiryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static StoredCycle Cycle(int daysAgo, bool complete = true)
    {
        var stopped = Now.AddDays(-daysAgo);
        var stamp = stopped.AddMinutes(-5).ToString("yyyyMMdd'T'HHmmss'Z'");
        var cycle = new StoredCycle(stamp) { BaseArchive = "base-" + stamp };
        cycle.Base = new BaseMetadata(BaseMetadata.CurrentFormat, complete, "h", "main", stamp, 15, 150000, "1", 1, 16 << 20,
            "0/2000028", "000000010000000000000002", "0/2000100", "000000010000000000000002",
            stopped.AddMinutes(-5), stopped, "direct", "", "", []);
        cycle.WalBatches.Add(new WalBatch("wal-" + stamp, null));
        return cycle;
    }

    private static List<int> Expired(IReadOnlyList<StoredCycle> stored, int keepCycles, TimeSpan keepWithin) =>
        Expiry.Select(stored, new HashSet<string>(), keepCycles, keepWithin, Now)
            .Select(c => (int)Math.Round((Now - c.Base!.StoppedAt).TotalDays)).ToList();

    [Fact]
    public void Keep_within_also_keeps_the_newest_base_that_ended_before_the_window()
    {
        // window: the last 7 days; a restore to 6.9 days ago needs the base that ended 8 days ago
        var stored = new[] { Cycle(20), Cycle(15), Cycle(8), Cycle(5), Cycle(1) };
        Assert.Equal([20, 15], Expired(stored, 1, TimeSpan.FromDays(7)));
    }

    [Fact]
    public void A_base_that_ended_at_the_window_start_is_the_one_kept_before_it()
    {
        var stored = new[] { Cycle(20), Cycle(7), Cycle(1) };
        Assert.Equal([20], Expired(stored, 1, TimeSpan.FromDays(7)));
    }

    [Fact]
    public void Without_a_window_only_keep_cycles_counts_and_the_newest_complete_always_stays()
    {
        var stored = new[] { Cycle(20), Cycle(15), Cycle(8), Cycle(3, complete: false) };
        Assert.Equal([20, 15], Expired(stored, 1, TimeSpan.Zero));
        Assert.Equal([20], Expired(stored, 2, TimeSpan.Zero));
    }
}
