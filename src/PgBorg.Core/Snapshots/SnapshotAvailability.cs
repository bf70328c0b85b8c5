namespace PgBorg.Snapshots;

/// <summary>Whether a method can snapshot a directory here, and why (for the log and for error messages).</summary>
/// <param name="Reason">A short clause such as "/srv/pg is a btrfs subvolume" or "/srv/pg is not a btrfs subvolume (inode 1234 on ext4)".</param>
public sealed record SnapshotAvailability(bool Possible, string Reason)
{
    public static SnapshotAvailability Yes(string reason) => new(true, reason);

    public static SnapshotAvailability No(string reason) => new(false, reason);
}
