using PgBorg.Archiving;
using PgBorg.Configuration;
using PgBorg.PostgreSql;
using PgBorg.State;

namespace PgBorg.Status;

/// <summary>The <c>[alerts]</c> thresholds applied to a daemon's state: what <c>status</c>'s exit code and the <c>*_late</c> metrics say.</summary>
public static class Lateness
{
    /// <summary>
    /// Late when PostgreSQL completed segments that are not in Borg and Borg has not caught up for longer than
    /// max_wal_age. An idle server completes no segment, so an old newest segment alone is not late.
    /// </summary>
    public static bool Wal(InstanceState s, ArchiverStats? postgres, AlertSettings alerts, DateTimeOffset now)
    {
        if (postgres is null || WalLag.Segments(postgres.CurrentWal, s.NewestWal, postgres.WalSegmentSize) is not > 0)
        {
            return false;
        }
        var current = new[] { s.NewestWalStoredAt, s.WalCaughtUpAt }.Max();
        return current is null || now - current > alerts.WalAge(postgres.ArchiveTimeoutSeconds);
    }

    /// <summary>Late when the newest complete base ended longer than max_base_age ago, or there is none.</summary>
    public static bool Base(InstanceState s, AlertSettings alerts, DateTimeOffset now) =>
        alerts.MaxBaseAge is { } max && (s.NewestBase is null || now - s.NewestBase.StoppedAt > max);

    /// <summary>Late when the newest dump started longer than max_dump_age ago, or there is none.</summary>
    public static bool Dump(DatabaseState d, AlertSettings alerts, DateTimeOffset now) =>
        alerts.MaxDumpAge is { } max && (d.NewestDumpAt is null || now - d.NewestDumpAt > max);
}
