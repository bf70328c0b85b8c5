using PgBorg.Archiving;

namespace PgBorg.Tests;

public sealed class TimelineHistoryTests
{
    private const long Segment = 16 << 20;

    [Fact]
    public void A_history_lists_its_ancestors_and_where_this_timeline_branched()
    {
        var h = TimelineHistory.Parse(3, "1\t0/3000060\tno recovery target specified\n\n2\t0/5123456\tat restore point \"x\"\n");
        Assert.Equal([(1u, 0x3000060UL), (2u, 0x5123456UL)], h.Ancestors);
        Assert.Equal(0x5123456UL, h.BranchPoint);
    }

    [Fact]
    public void Only_the_first_segment_of_a_timeline_that_began_inside_it_may_hold_an_ancestors_pages()
    {
        var h = TimelineHistory.Parse(2, "1\t0/5123456\tafter LSN target\n");
        Assert.True(h.AllowsOlderPagesIn(5, Segment, 1));
        Assert.False(h.AllowsOlderPagesIn(6, Segment, 1));   // a later segment of timeline 2: its own pages only
        Assert.False(h.AllowsOlderPagesIn(4, Segment, 1));   // before the branch: no timeline 2 segment at all
        Assert.False(h.AllowsOlderPagesIn(5, Segment, 3));   // not an ancestor
        Assert.False(TimelineHistory.Parse(2, "1\t0/5000000\tat a boundary\n").AllowsOlderPagesIn(5, Segment, 1));
        // two promotions inside one segment: the grandparent's pages come first
        var twice = TimelineHistory.Parse(3, "1\t0/5100000\tx\n2\t0/5200000\ty\n");
        Assert.True(twice.AllowsOlderPagesIn(5, Segment, 1));
        Assert.True(twice.AllowsOlderPagesIn(5, Segment, 2));
        // another segment size: the same LSN is in segment 0x51 of 1 MB segments
        Assert.True(h.AllowsOlderPagesIn(0x51, 1 << 20, 1));
    }

    [Theory]
    [InlineData("x\t0/1\tbad tli\n")]
    [InlineData("1\tnot-an-lsn\tbad lsn\n")]
    public void A_malformed_history_is_refused(string text) =>
        Assert.Throws<InvalidDataException>(() => TimelineHistory.Parse(2, text));
}
