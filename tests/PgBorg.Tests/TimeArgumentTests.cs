using PgBorg.Naming;

namespace PgBorg.Tests;

public sealed class TimeArgumentTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-11-25T11:47:00+01:00", 10, 47, 0)]
    [InlineData("2026-11-25T11:47:00Z", 11, 47, 0)]
    [InlineData("2026-11-25T11:47Z", 11, 47, 0)]
    [InlineData("2026-11-25 11:47:30-05:00", 16, 47, 30)]
    [InlineData("20261125T114700Z", 11, 47, 0)]
    [InlineData("2026-11-25 11:47:00+00", 11, 47, 0)]
    [InlineData("2026-11-25 12:47:00.5+01", 11, 47, 0)]
    public void Times_with_an_offset_are_exact(string text, int h, int m, int s) =>
        Assert.Equal(Utc(2026, 11, 25, h, m, s), new DateTimeOffset(TimeArgument.Parse(text, Berlin).UtcDateTime.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero));

    [Theory]
    [InlineData("2026-11-25T11:47:00", 10, 47, 0)]
    [InlineData("2026-11-25 11:47", 10, 47, 0)]
    [InlineData("2026-11-25 11:47:05", 10, 47, 5)]
    [InlineData("20261125114700", 10, 47, 0)]
    [InlineData("2026-11-25", -1, 0, 0)]
    public void Times_without_an_offset_are_local(string text, int h, int m, int s)
    {
        var expected = h < 0 ? Utc(2026, 11, 24, 23, 0) : Utc(2026, 11, 25, h, m, s);
        Assert.Equal(expected, TimeArgument.Parse(text, Berlin));
    }

    [Fact]
    public void Summer_time_is_applied_in_summer()
        => Assert.Equal(Utc(2026, 7, 1, 10, 0), TimeArgument.Parse("2026-07-01 12:00", Berlin));

    [Fact]
    public void THH_MM_is_today_in_the_local_zone()
    {
        var now = Utc(2026, 11, 25, 23, 30); // already the 26th in Berlin
        Assert.Equal(Utc(2026, 11, 26, 7, 15), TimeArgument.Parse("T08:15", Berlin, now));
    }

    [Fact]
    public void A_local_time_skipped_by_daylight_saving_is_refused()
    {
        var e = Assert.Throws<FormatException>(() => TimeArgument.Parse("2026-03-29 02:30", Berlin));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_local_time_repeated_by_daylight_saving_is_refused_unless_the_offset_is_given()
    {
        var e = Assert.Throws<FormatException>(() => TimeArgument.Parse("2026-10-25 02:30", Berlin));
        Assert.Contains("occurs twice", e.Message);
        Assert.Equal(Utc(2026, 10, 25, 0, 30), TimeArgument.Parse("2026-10-25T02:30:00+02:00", Berlin));
        Assert.Equal(Utc(2026, 10, 25, 1, 30), TimeArgument.Parse("2026-10-25T02:30:00+01:00", Berlin));
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2026-13-01")]
    [InlineData("2026-11-25T25:00")]
    [InlineData("T25:00")]
    [InlineData("1700000000")]
    public void Nonsense_is_refused_with_the_accepted_forms(string text)
    {
        var e = Assert.Throws<FormatException>(() => TimeArgument.Parse(text, Berlin));
        Assert.NotEmpty(e.Message);
    }
}
