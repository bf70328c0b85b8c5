namespace PgBorg.Restore;

/// <summary>
/// How the restored server's wal-fetch, running as the service user, can get the cycle's WAL: from Borg itself
/// ("borg" mode, <see cref="FromBorg"/>), or only from what root's background extractor delivers ("local" mode).
/// </summary>
/// <param name="FromBorg">The service user can read every repository holding WAL of the plan (and the WAL repository,
/// for a standby).</param>
/// <param name="Unreadable">The first repository the service user cannot read, for the message that says so; null when
/// it can, or when there was nothing to read (no WAL, no standby) and pgborg does not run as that user.</param>
public sealed record WalAccess(bool FromBorg, string? Unreadable)
{
    public static WalAccess Borg { get; } = new(true, null);

    /// <summary>The reason for "local" mode in words, ending in ": ", or nothing when no repository was found unreadable.</summary>
    public string Reason(string user) => Unreadable is null ? "" : $"{user} cannot read {Unreadable}: ";
}
