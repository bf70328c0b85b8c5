using System.Globalization;

namespace PgBorg.Snapshots;

/// <summary>The tablespaces of a data directory, as PostgreSQL records them: symlinks <c>pg_tblspc/OID → LOCATION</c>.</summary>
public static class Tablespaces
{
    /// <summary>
    /// Every symlink in <c>DATADIR/pg_tblspc</c> whose name is an OID, ordered by OID. Other names and in-place
    /// tablespaces (real directories there, already inside the data directory) are skipped. No pg_tblspc: none.
    /// </summary>
    public static IReadOnlyList<TablespaceLocation> Read(string dataDirectory)
    {
        var dir = Path.Combine(dataDirectory, "pg_tblspc");
        return Links(dataDirectory).Select(l => new TablespaceLocation(l.Oid, Path.GetFullPath(l.Target, dir))).OrderBy(t => t.Oid).ToList();
    }

    /// <summary>
    /// Refuses to archive a tablespace that is not one: pg_tblspc is the service user's, and whoever runs as that user
    /// can add a link there to any directory (root's home, /etc) for root's Borg to read. A tablespace's directory
    /// belongs to the data directory's owner and holds PostgreSQL's <c>PG_*</c> directory.
    /// </summary>
    /// <exception cref="IOException">A link points elsewhere.</exception>
    public static void EnsureGenuine(string dataDirectory, IReadOnlyList<TablespaceLocation> tablespaces)
    {
        var owner = Processes.FileStatus.Of(dataDirectory)?.Uid;
        foreach (var ts in tablespaces)
        {
            var genuine = Directory.Exists(ts.Path) && Processes.FileStatus.Of(ts.Path)?.Uid == owner
                && Directory.EnumerateDirectories(ts.Path, "PG_*").Any();
            if (!genuine)
            {
                throw new IOException($"pg_tblspc/{ts.Oid} points to {ts.Path}, which is not a tablespace of this data directory "
                    + "(not a directory of its owner's, or without PostgreSQL's PG_* directory in it): refusing to archive it");
            }
        }
    }

    /// <summary>The same symlinks with their targets as written (possibly relative), in directory order, as pg_backup_start reads them.</summary>
    public static IReadOnlyList<(uint Oid, string Target)> Links(string dataDirectory)
    {
        var dir = Path.Combine(dataDirectory, "pg_tblspc");
        if (!Directory.Exists(dir))
        {
            return [];
        }
        var result = new List<(uint, string)>();
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (!uint.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var oid) || entry.LinkTarget is not { } target)
            {
                continue;
            }
            result.Add((oid, target));
        }
        return result;
    }
}
