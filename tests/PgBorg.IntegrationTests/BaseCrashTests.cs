namespace PgBorg.IntegrationTests;

/// <summary><see cref="CrashDrill"/> at the moments of a base backup.</summary>
public sealed class BaseCrashTests : CrashDrill
{
    public static TheoryData<string> Points => new()
    {
        "base-after-snapshot",   // snapshot taken, backup mode on
        "borg:~base~",           // while borg create of the base runs
        AbandonPoint,            // a base failed (its comment not set), its spool removed, its archives not deleted yet
    };

    [Theory(Timeout = 600_000)]
    [MemberData(nameof(Points))]
    public Task A_crash_loses_no_WAL_and_the_next_run_cleans_up(string point) => CrashAndRecoverAsync(point);
}
