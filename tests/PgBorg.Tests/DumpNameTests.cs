using PgBorg.Dumps;
using PgBorg.Naming;

namespace PgBorg.Tests;

/// <summary>A dump's name after the clock stepped back: after the newest of its own series, never before it.</summary>
public sealed class DumpNameTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[] Names =
    [
        "h~main~pg15~dump~app~20261206T110000Z",         // written before the clock stepped back an hour
        "h~main~pg15~partial-dump~app~20261206T110500Z", // an interrupted one counts too: its name is taken
        "h~main~pg15~dump~other~20261206T120000Z",
        "h~main~pg15~globals~20261206T093000Z",
        "h~second~pg15~dump~app~20261206T130000Z",
        "elsewhere~main~pg15~dump~app~20261206T140000Z",
    ];

    private static string Next(string kind, string? database) =>
        Stamp.Of(Stamp.Next(DumpWriter.SeriesStamps(Names, "h", "main", kind, database), Now));

    [Fact]
    public void A_dump_after_a_clock_step_back_is_named_one_second_after_the_newest_of_its_database() =>
        Assert.Equal("20261206T110501Z", Next(ArchiveName.DumpKind, "app"));

    [Fact]
    public void Other_series_instances_and_hosts_do_not_move_a_name()
    {
        Assert.Equal("20261206T100000Z", Next(ArchiveName.GlobalsKind, null));
        Assert.Equal("20261206T100000Z", Next(ArchiveName.DumpKind, "new"));
    }

    [Fact]
    public void The_same_second_as_the_newest_is_not_reused() =>
        Assert.Equal(Now.AddSeconds(1), Stamp.Next(["20261206T100000Z"], Now.AddMilliseconds(400)));
}
