using PgBorg.Archiving;
using PgBorg.PostgreSql;

namespace PgBorg.Tests;

public sealed class StopSegmentWaitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 6, 0, 0, TimeSpan.Zero);

    private static ArchiverStats Stats(long archived, DateTimeOffset? archivedAt = null, DateTimeOffset? failedAt = null) =>
        new(archived, "000000010000000000000010", archivedAt, failedAt is null ? 0 : 1, failedAt is null ? null : "000000010000000000000011", failedAt,
            "000000010000000000000012", 16 << 20, 60);

    [Fact]
    public void A_slow_archiver_that_makes_progress_is_waited_for_far_beyond_the_old_two_minutes()
    {
        var wait = new StopSegmentWait("20261206T060000Z", "000000010000000000000099");
        for (var minute = 0; minute < 60; minute++)
        {
            // one segment a minute: slow, but moving
            Assert.Null(wait.Observe(Stats(minute, T0.AddMinutes(minute)), T0.AddMinutes(minute)));
            Assert.Null(wait.Observe(Stats(minute, T0.AddMinutes(minute)), T0.AddMinutes(minute).AddSeconds(59)));
        }
    }

    [Fact]
    public void An_archiver_that_archives_nothing_for_twice_archive_timeout_plus_a_minute_ends_the_wait()
    {
        var wait = new StopSegmentWait("20261206T060000Z", "000000010000000000000099");
        Assert.Null(wait.Observe(Stats(5, T0), T0));
        Assert.Null(wait.Observe(Stats(5, T0), T0.AddSeconds(179)));
        var giveUp = wait.Observe(Stats(5, T0), T0.AddSeconds(181));
        Assert.NotNull(giveUp);
        Assert.Contains("000000010000000000000099", giveUp);
        Assert.Contains("archived nothing for 180 s", giveUp);
    }

    [Fact]
    public void A_failing_archiver_ends_the_wait_after_a_few_seconds_but_a_passing_failure_does_not()
    {
        var wait = new StopSegmentWait("20261206T060000Z", "000000010000000000000099");
        Assert.Null(wait.Observe(Stats(5, T0, failedAt: T0.AddSeconds(1)), T0.AddSeconds(1)));
        // PostgreSQL retried and succeeded: not failing any more
        Assert.Null(wait.Observe(Stats(6, T0.AddSeconds(2), failedAt: T0.AddSeconds(1)), T0.AddSeconds(2)));
        Assert.Null(wait.Observe(Stats(6, T0.AddSeconds(2), failedAt: T0.AddSeconds(10)), T0.AddSeconds(10)));
        Assert.Null(wait.Observe(Stats(6, T0.AddSeconds(2), failedAt: T0.AddSeconds(12)), T0.AddSeconds(14)));
        var giveUp = wait.Observe(Stats(6, T0.AddSeconds(2), failedAt: T0.AddSeconds(13)), T0.AddSeconds(15));
        Assert.NotNull(giveUp);
        Assert.Contains("failed on 000000010000000000000011", giveUp);
    }

    [Theory]
    [InlineData(60, 180)]
    [InlineData(0, 1260)]
    [InlineData(300, 660)]
    public void Patience_is_twice_archive_timeout_plus_a_minute(int archiveTimeout, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), StopSegmentWait.Patience(archiveTimeout));
}
