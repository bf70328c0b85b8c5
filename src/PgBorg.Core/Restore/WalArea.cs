using PgBorg.Archiving;

namespace PgBorg.Restore;

/// <summary>
/// Reading and writing the restore area (<c>DATADIR/pgborg_restore</c>) by path. The area is the service user's, so
/// only code running as that user may do this: wal-fetch and <see cref="WalAreaAgent"/>. A root process that opened
/// these paths could be led by a planted link to one of root's own files.
/// </summary>
public static class WalArea
{
    /// <summary>True while an extractor (its agent) holds the lock of <paramref name="area"/>.</summary>
    public static bool IsRunning(string area)
    {
        var path = Path.Combine(area, WalExtractor.LockName);
        if (!File.Exists(path))
        {
            return false;
        }
        try
        {
            // a shared flock: refused while the agent holds its exclusive one
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Recovery ended: <c>wal-fetch --end</c> marked it, or removed the area.</summary>
    public static bool Ended(string area) => !Directory.Exists(area) || File.Exists(Path.Combine(area, WalExtractor.EndedName));

    /// <summary>Extracted segments not yet taken by replay.</summary>
    internal static int Waiting(string area) =>
        Directory.EnumerateFiles(area).Select(Path.GetFileName).Count(f => WalFileName.Classify(f!) is WalFileKind.Segment or WalFileKind.PartialSegment);

    /// <summary>wal-fetch waits for a file that is not here yet: the read-ahead limit must not hold it up.</summary>
    internal static bool ReplayWaits(string area)
    {
        var path = Path.Combine(area, WalExtractor.WantedName);
        if (!IsOwnRegularFile(path))
        {
            return false; // never a FIFO or a link, which could block or lead elsewhere
        }
        try
        {
            var wanted = File.ReadAllText(path).Trim();
            return WalFileName.Classify(wanted) is not null && !File.Exists(Path.Combine(area, wanted));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Writes a marker file whole: a fresh temporary file (whatever was at its name goes first), then a rename.</summary>
    internal static void WriteMarker(string area, string name, string text)
    {
        var path = Path.Combine(area, name);
        var temp = path + ".tmp";
        File.Delete(temp);
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A regular file of ours, not a link, FIFO or device, and not one another user left.</summary>
    internal static bool IsOwnRegularFile(string path) =>
        Processes.FileStatus.OfEntry(path) is { IsRegularFile: true } facts && facts.Uid == Processes.Native.geteuid();
}
