using System.Globalization;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Archiving;

/// <summary>
/// spool_max_size, where wal-push finds it: wal-push reads no configuration file (PostgreSQL runs it in the data
/// directory as the service user), so pgcad writes the limit into the spool root as <c>.max-size</c> (bytes), and
/// removes it when the limit is unset. Past the limit wal-push drops WAL instead of failing, and records the first
/// file it dropped in each active spool's <c>.dropped</c>: that cycle cannot be restored past it.
/// </summary>
public static class SpoolLimit
{
    public const string LimitFile = ".max-size";
    public const string DroppedMarker = ".dropped";

    /// <summary>Makes the spool root's limit file say <paramref name="limit"/> (none: no file). Needs the root to exist.</summary>
    public static void Apply(PgInstance instance, long? limit)
    {
        var root = SpoolDirectory.RootFor(instance.DataDirectory);
        if (!Directory.Exists(root))
        {
            return;
        }
        var path = Path.Combine(root, LimitFile);
        if (limit is null)
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                Durability.FsyncDirectory(root);
            }
            return;
        }
        var text = limit.Value.ToString(CultureInfo.InvariantCulture);
        string? current;
        try
        {
            current = Processes.ForeignFile.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            current = null; // missing, or something else than our file: replaced below
        }
        if (current != text)
        {
            // 0644: wal-push runs as the service user and must read what root wrote
            AtomicFile.Write(path, text + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    /// <summary>The limit pgcad wrote, or null (no limit, or no spool root).</summary>
    public static long? Read(string dataDirectory)
    {
        var path = Path.Combine(SpoolDirectory.RootFor(dataDirectory), LimitFile);
        try
        {
            return long.TryParse(Processes.ForeignFile.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0 ? limit : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Bytes of WAL waiting for Borg, each file once (while cycles overlap every active spool holds a copy: the limit is
    /// on WAL not yet safe, not on copies of it). Files in a spool's <c>.stored/</c> are in Borg already and bounded by
    /// consolidation (one window, at most 512 files), so they do not count either.
    /// </summary>
    public static long Usage(string dataDirectory) => SpoolBacklog.Read(dataDirectory).Bytes;

    /// <summary>Records in <paramref name="cycle"/>'s spool that WAL was dropped from <paramref name="file"/> on; the first drop stays.</summary>
    public static void MarkDropped(string dataDirectory, string cycle, string file)
    {
        var path = Path.Combine(SpoolDirectory.CycleDirectory(dataDirectory, cycle), DroppedMarker);
        if (!File.Exists(path))
        {
            AtomicFile.Write(path, file + "\n");
        }
    }

    /// <summary>The first WAL file dropped from <paramref name="cycle"/>'s spool, or null when it holds every file since it began.</summary>
    public static string? DroppedFrom(string dataDirectory, string cycle)
    {
        try
        {
            return Processes.ForeignFile.ReadAllText(Path.Combine(SpoolDirectory.CycleDirectory(dataDirectory, cycle), DroppedMarker)).Trim() is { Length: > 0 } f ? f : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The newest spool wal-push dropped WAL from, and the first file dropped: what status and the metrics report.</summary>
    public static (string Cycle, string File)? NewestDrop(string dataDirectory) =>
        SpoolDirectory.Cycles(dataDirectory).Reverse().Select(c => (Cycle: c, File: DroppedFrom(dataDirectory, c)))
            .Where(d => d.File is not null).Select(d => ((string, string)?)(d.Cycle, d.File!)).FirstOrDefault();
}
