namespace PgBorg.Archiving;

/// <summary>
/// wal-push's ENOSPC before it writes anything: a segment is stored only while the spool's filesystem keeps as much
/// free again beside it, so that PostgreSQL, which writes on the same filesystem, still has room for its tables and
/// WAL when the spool is full. Without it, a copy on a nearly full disk took the last free bytes for as long as it ran
/// (and an allocation for the moment ext4 took before failing), and PostgreSQL failed to extend a table meanwhile.
/// </summary>
public sealed class SpoolRoomException(string message) : IOException(message, WalPush.NoSpaceLeft)
{
    /// <summary>Throws unless the filesystem of <paramref name="spool"/> has twice <paramref name="length"/> free for the service user.</summary>
    public static void ThrowIfShort(string spool, long length)
    {
        var free = new DriveInfo(spool).AvailableFreeSpace;
        if (free < 2 * length)
        {
            throw new SpoolRoomException(
                $"{Mebibytes(free)} free; a segment of {Mebibytes(length)} is stored only with {Mebibytes(2 * length)} free, so that PostgreSQL keeps room to write");
        }
    }

    private static string Mebibytes(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");
}
