using PgBorg.Archiving;
using PgBorg.Restore;

namespace PgBorg.Tests;

public sealed class TransactionTargetTests
{
    private const ulong Epoch1 = 1UL << 32;

    // a base started in epoch 1 while transaction 750 ran; 800 and later had not started
    private static readonly BaseMetadata Base = new(BaseMetadata.CurrentFormat, true, "h", "main", "20261126T120000Z", 15, 150000, "1", 1,
        16 << 20, "0/2000028", "000000010000000000000002", "0/2000100", "000000010000000000000002",
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "direct", "", "", [], StartSnapshot: $"{Epoch1 + 700}:{Epoch1 + 800}:{Epoch1 + 750}");

    [Theory]
    [InlineData(800UL, true)]
    [InlineData(Epoch1 + 800, true)]
    [InlineData(750UL, true)]
    [InlineData(Epoch1 + 750, true)]
    [InlineData(600UL, false)]
    [InlineData(Epoch1 + 600, false)]
    [InlineData(800UL + Epoch1 * 2, true)]
    public void After_the_epoch_passes_0_both_the_32_bit_and_the_epoch_qualified_id_are_matched_with_the_base(ulong xid, bool usable) =>
        Assert.Equal(usable, RestorePlanner.XidAfterStart(Base, xid));

    [Fact]
    public void A_32_bit_id_is_read_in_the_epoch_that_puts_it_nearest_the_reference()
    {
        Assert.Equal(Epoch1 + 5, RestorePlanner.Widen(5, Epoch1 - 10));      // just after wraparound
        Assert.Equal(Epoch1 - 5, RestorePlanner.Widen(uint.MaxValue - 4, Epoch1 + 10)); // just before it
        Assert.Equal(4_000_000_000UL, RestorePlanner.Widen(4_000_000_000, 1000)); // epoch 0 has nothing before 0
    }

    [Fact]
    public void An_epoch_qualified_id_is_accepted_and_recovery_is_given_the_32_bit_id_postgresql_compares()
    {
        var target = RestoreTarget.From(null, null, null, (Epoch1 + 800).ToString());
        Assert.Equal(Epoch1 + 800, target.Xid);
        var cycle = new StoredCycle(Base.Cycle) { BaseArchive = "base", Base = Base };
        cycle.WalBatches.Add(new WalBatch("wal", new WalBatchMetadata(WalBatchMetadata.CurrentFormat, "h", "main", Base.Cycle, ["000000010000000000000002"], 1, DateTimeOffset.UnixEpoch)));
        var plan = RestorePlanner.Plan([cycle], [], target, "pause", "fetch %f %p");
        Assert.Equal("800", plan.RecoverySettings["recovery_target_xid"]);
    }

    [Fact]
    public void Special_ids_are_refused_in_every_epoch()
    {
        Assert.Throws<FormatException>(() => RestoreTarget.From(null, null, null, (Epoch1 + 2).ToString()));
        Assert.Throws<FormatException>(() => RestoreTarget.From(null, null, null, "2"));
    }
}
