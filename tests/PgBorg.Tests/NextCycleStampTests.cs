namespace PgBorg.Tests;

public sealed class NextCycleStampTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_new_cycle_is_named_after_now_when_every_cycle_is_older() =>
        Assert.Equal("20261206T100000Z", PgBorg.Archiving.CycleManager.NextCycleStamp(["20261206T090000Z"], ["20261205T090000Z"], Now));

    [Fact]
    public void A_clock_stepped_back_names_it_one_second_after_the_newest_cycle_instead_of_waiting_for_the_clock() =>
        Assert.Equal("20261206T110001Z", PgBorg.Archiving.CycleManager.NextCycleStamp(["20261206T110000Z"], ["20261206T103000Z"], Now));

    [Fact]
    public void The_same_second_as_a_stored_cycle_whose_spool_is_gone_is_not_reused() =>
        Assert.Equal("20261206T100001Z", PgBorg.Archiving.CycleManager.NextCycleStamp([], ["20261206T100000Z"], Now));
}
