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
