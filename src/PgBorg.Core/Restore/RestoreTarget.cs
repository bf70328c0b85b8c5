using System.Globalization;
using PgBorg.Archiving;

namespace PgBorg.Restore;

public enum TargetKind { Latest, Time, RestorePoint, Lsn, Xid }

/// <summary>
/// What to restore to: the latest archived state, or a time, a restore point, an LSN or a transaction id. A
/// transaction id is kept as given: the 32-bit form that server logs (<c>%x</c>) and pg_waldump print, or the
/// epoch-qualified 64-bit form of <c>pg_current_xact_id()</c> (above 2^32 once the epoch has passed 0).
/// </summary>
public sealed record RestoreTarget(TargetKind Kind, DateTimeOffset? Time = null, string? Name = null, ulong? Lsn = null, ulong? Xid = null)
{
    public static readonly RestoreTarget Latest = new(TargetKind.Latest);

    public static RestoreTarget From(DateTimeOffset? time, string? restorePoint, string? lsn, string? xid)
    {
        var given = new object?[] { time, restorePoint, lsn, xid }.Count(x => x is not null);
        if (given > 1)
        {
            throw new FormatException("give at most one of --time, --restore-point, --lsn, --xid");
        }
        if (time is not null)
        {
            return new RestoreTarget(TargetKind.Time, Time: time);
        }
        if (restorePoint is not null)
        {
            return new RestoreTarget(TargetKind.RestorePoint, Name: restorePoint);
        }
        if (lsn is not null)
        {
            try
            {
                return new RestoreTarget(TargetKind.Lsn, Lsn: WalFileName.ParseLsn(lsn));
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new FormatException($"--lsn '{lsn}': not an LSN like 0/3000060");
            }
        }
        if (xid is not null)
        {
            // 0, 1 and 2 are PostgreSQL's special transaction ids, in every epoch
            return ulong.TryParse(xid, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && (uint)x >= 3
                ? new RestoreTarget(TargetKind.Xid, Xid: x)
                : throw new FormatException($"--xid '{xid}': not a transaction id");
        }
        return Latest;
    }

    public override string ToString() => Kind switch
    {
        TargetKind.Latest => "the latest archived state",
        TargetKind.Time => $"time {Time!.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC",
        TargetKind.RestorePoint => $"restore point {Name}",
        TargetKind.Lsn => $"LSN {WalFileName.FormatLsn(Lsn!.Value)}",
        _ => $"transaction {Xid}",
    };
}
