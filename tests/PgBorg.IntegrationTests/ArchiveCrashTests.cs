namespace PgBorg.IntegrationTests;

/// <summary><see cref="CrashDrill"/> at the moments of storing WAL: an ingest and a consolidation.</summary>
public sealed class ArchiveCrashTests : CrashDrill
{
    public static TheoryData<string> Points => new()
    {
        "ingest-after-create",   // between borg create of a WAL batch and deleting the spooled files
        "borg:~wal~",            // while borg create of a WAL batch runs
        "consolidate-after-create", // a window's consolidated archive committed, its batches not deleted yet
        "consolidate-after-delete", // batches deleted, the consolidated files still in the spool's .stored
        "borg-cwd:.stored",      // while borg create of a consolidation runs (in the spool's .stored)
    };

    [Theory(Timeout = 600_000)]
    [MemberData(nameof(Points))]
    public Task A_crash_loses_no_WAL_and_the_next_run_cleans_up(string point) => CrashAndRecoverAsync(point);
}
