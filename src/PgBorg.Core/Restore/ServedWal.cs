using PgBorg.Archiving;

namespace PgBorg.Restore;

/// <summary>
/// What wal-fetch has handed to PostgreSQL from the restore area (local mode): <c>served.log</c> lists every segment
/// delivered, and <c>served/</c> keeps a copy of the last few. A server that crashes during recovery asks again for
/// files it was given: the newest may not have reached pg_wal yet (PostgreSQL renames a restored file into pg_wal
/// only once it has read it), older ones are in pg_wal until a restartpoint passes them. Either way the answer is
/// the file, never "not in the archive", which would end recovery early.
/// </summary>
public static class ServedWal
{
    public const string LogName = "served.log";
    public const string DirectoryName = "served";

    /// <summary>Copies kept of the newest segments delivered: enough for the file being replayed and the one before.</summary>
    public const int KeptCopies = 4;

    /// <summary>Moves a delivered segment from the area into <c>served/</c>, notes it, and drops the oldest copies.</summary>
    public static void Keep(string area, string cached, string name)
    {
        var dir = Path.Combine(area, DirectoryName);
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.AppendAllText(Path.Combine(area, LogName), name + "\n");
        var kept = Path.Combine(dir, name);
        File.Move(cached, kept, overwrite: true);
        File.SetLastWriteTimeUtc(kept, DateTime.UtcNow);
        foreach (var old in new DirectoryInfo(dir).GetFiles().OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal).Skip(KeptCopies))
        {
            old.Delete();
        }
    }

    /// <summary>Every segment delivered so far.</summary>
    public static IReadOnlySet<string> Names(string area)
    {
        var log = Path.Combine(area, LogName);
        return File.Exists(log)
            ? File.ReadLines(log).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>
    /// Where a segment delivered before can be read again: its copy in <c>served/</c>, or PostgreSQL's own in pg_wal
    /// (whole). Null when it was never delivered; <see cref="FileNotFoundException"/> when it was and is gone.
    /// </summary>
    public static string? Find(string area, string dataDirectory, string name)
    {
        var kept = Path.Combine(area, DirectoryName, name);
        if (File.Exists(kept))
        {
            return kept;
        }
        if (!Names(area).Contains(name))
        {
            return null;
        }
        var inPgWal = new FileInfo(Path.Combine(dataDirectory, "pg_wal", name));
        if (inPgWal.Exists && WalFileName.Classify(name) == WalFileKind.Segment && IsWholeSegment(inPgWal))
        {
            return inPgWal.FullName;
        }
        throw new FileNotFoundException($"{name} was delivered to PostgreSQL before and is neither in the restore area nor in pg_wal any more");
    }

    private static bool IsWholeSegment(FileInfo file) => file.Length >= 1 << 20 && (file.Length & (file.Length - 1)) == 0;
}
