using System.Text.RegularExpressions;
using PgBorg.Naming;

namespace PgBorg.Archiving;

/// <summary>
/// Where an instance's WAL waits for Borg: <c>DATADIR.pgborg-spool/STAMP/</c>, one directory per active cycle,
/// next to the data directory's physical path (same filesystem, writable by the service user, outside every base
/// backup). Physical, because wal-push only knows PostgreSQL's working directory, where every symlink is resolved;
/// pgcad, configured with a path through a symlink, must find the same place.
/// A cycle being retired gets a <c>.closing</c> marker first: wal-push stops writing there, pgcad drains it and
/// removes it. wal-push writes only to spools without the marker.
/// Files already in Borg in a small batch archive wait in the spool's <c>.stored/</c> until their consolidation
/// window closes: re-archiving files still on disk is the cheapest way to merge batches (Borg 1.2 cannot merge).
/// </summary>
public static partial class SpoolDirectory
{
    public const string Suffix = ".pgborg-spool";
    public const string ClosingMarker = ".closing";
    public const string StoredName = ".stored";

    [GeneratedRegex(@"^\d{8}T\d{6}Z$")]
    private static partial Regex CycleName();

    public static string RootFor(string dataDirectory) => Processes.PathIdentity.Resolve(dataDirectory) + Suffix;

    public static string CycleDirectory(string dataDirectory, string cycle) => Path.Combine(RootFor(dataDirectory), cycle);

    /// <summary>Every cycle spool (stamp-named directory), oldest first.</summary>
    public static IReadOnlyList<string> Cycles(string dataDirectory)
    {
        var root = RootFor(dataDirectory);
        if (!Directory.Exists(root))
        {
            return [];
        }
        // real directories only: the spool root is the service user's, and a link there is not a spool of ours
        return Directory.GetDirectories(root)
            .Where(d => Processes.FileStatus.OfEntry(d) is { IsDirectory: true })
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => CycleName().IsMatch(n))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static bool IsClosing(string dataDirectory, string cycle) =>
        File.Exists(Path.Combine(CycleDirectory(dataDirectory, cycle), ClosingMarker));

    /// <summary>The spools wal-push must write to.</summary>
    public static IReadOnlyList<string> ActiveCycles(string dataDirectory) =>
        Cycles(dataDirectory).Where(c => !IsClosing(dataDirectory, c)).ToList();

    /// <summary>The archivable files of a spool (no temporaries, no markers), sorted as PostgreSQL names sort.</summary>
    public static IReadOnlyList<string> Files(string dataDirectory, string cycle) => WalFilesIn(CycleDirectory(dataDirectory, cycle));

    /// <summary>Where a spool's files wait for consolidation once a batch archive holds them.</summary>
    public static string StoredDirectory(string dataDirectory, string cycle) => Path.Combine(CycleDirectory(dataDirectory, cycle), StoredName);

    /// <summary>The files of a spool waiting for consolidation, sorted as PostgreSQL names sort.</summary>
    public static IReadOnlyList<string> StoredFiles(string dataDirectory, string cycle) => WalFilesIn(StoredDirectory(dataDirectory, cycle));

    /// <summary>
    /// A spool's <c>.stored/</c>, made (the service user's, 0700) where it is missing, and made anew where something
    /// else than a directory is in its place: files are renamed into it by root, never through a link.
    /// </summary>
    public static string EnsureStoredDirectory(string dataDirectory, string cycle, Processes.OsUser owner)
    {
        var stored = StoredDirectory(dataDirectory, cycle);
        var facts = Processes.FileStatus.OfEntry(stored);
        if (facts is { IsDirectory: true })
        {
            return stored;
        }
        if (facts is not null)
        {
            File.Delete(stored);
        }
        Directory.CreateDirectory(stored, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        owner.Own(stored);
        return stored;
    }

    /// <summary>
    /// The WAL files in a spool directory, sorted as PostgreSQL names sort: only in a real directory (through a link,
    /// root would archive and then delete files elsewhere), and only regular files, not links, of the directory's owner:
    /// spooled WAL is written by wal-push, never linked (a hard link to one of root's files, where the kernel allows
    /// one, belongs to root).
    /// </summary>
    private static IReadOnlyList<string> WalFilesIn(string dir)
    {
        if (Processes.FileStatus.OfEntry(dir) is not { IsDirectory: true } directory)
        {
            return [];
        }
        return Directory.GetFiles(dir)
            .Where(f => Processes.FileStatus.OfEntry(f) is { IsRegularFile: true } file && file.Uid == directory.Uid)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => WalFileName.Classify(n) is not null)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static bool IsCycleName(string name) => CycleName().IsMatch(name) && Stamp.TryParse(name, out _);
}
