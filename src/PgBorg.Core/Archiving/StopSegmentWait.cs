using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// How long a finished base waits for its stop segment: as long as PostgreSQL's archiver makes progress. It gives up
/// only when the archiver has archived nothing for 2 × archive_timeout + 60 s, or when it has been failing (its last
/// attempt failed and nothing was archived since: archiving goes in order, so it is stuck at or before the segment the
/// base needs) through <see cref="FailingFor"/> of this wait: PostgreSQL retries a failed file three times a second
/// apart before it sleeps a minute, so a failure that lasts that long is not a passing one. Either way one line names the segment and the archiver's last failure.
/// </summary>
public sealed class StopSegmentWait(string cycle, string segment)
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan FailingFor = TimeSpan.FromSeconds(5);

    private long? _archived;
    private DateTimeOffset _progressAt;
    private DateTimeOffset _reportedAt;
    private DateTimeOffset? _failingSince;

    /// <summary>Null while waiting is worth it; else why the base is given up.</summary>
    public string? Observe(ArchiverStats stats, DateTimeOffset now)
    {
        if (_archived != stats.ArchivedCount)
        {
            _archived = stats.ArchivedCount;
            _progressAt = now;
            _reportedAt = now;
        }
        _failingSince = stats.Failing ? _failingSince ?? now : null;
        if (_failingSince is { } since && now - since >= FailingFor)
        {
            return $"the base backup of cycle {cycle} needs WAL up to {segment}, but PostgreSQL's archiver failed on {stats.LastFailedWal} "
                + $"at {stats.LastFailedAt:u} ({stats.FailedCount} failures so far; see the server log for archive_command's error)";
        }
        var patience = Patience(stats.ArchiveTimeoutSeconds);
        if (now - _progressAt > patience)
        {
            return $"the base backup of cycle {cycle} needs WAL up to {segment}, but PostgreSQL's archiver archived nothing for "
                + $"{patience.TotalSeconds:0} s (last archived: {stats.LastArchivedWal ?? "nothing"}; is archive_command stuck? see the server log)";
        }
        return null;
    }

    /// <summary>True about once a minute while the wait goes on without progress: worth a log line.</summary>
    public bool ShouldReport(DateTimeOffset now)
    {
        if (now - _reportedAt < ReportEvery)
        {
            return false;
        }
        _reportedAt = now;
        return true;
    }

    /// <summary>2 × archive_timeout + 60 s; an archive_timeout of 0 counts as the 10 min pgcad requires at most.</summary>
    public static TimeSpan Patience(int archiveTimeoutSeconds) =>
        2 * TimeSpan.FromSeconds(archiveTimeoutSeconds > 0 ? archiveTimeoutSeconds : 600) + TimeSpan.FromSeconds(60);
}
