using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.Snapshots;

namespace PgBorg.Archiving;

/// <summary>
/// The <c>tablespace_map</c> a base archive holds at the data directory's root, so that a plain <c>borg extract</c>
/// brings it back (README, "Break glass"). PostgreSQL hands its map out only at pg_backup_stop, after the snapshot
/// was taken (direct: after Borg read the live directory), but builds it at pg_backup_start from pg_tblspc: the same
/// text is written here into the live data directory right after pg_backup_start, so that the snapshot (or Borg's
/// read of the live directory) takes it, and removed as soon as it is taken; <see cref="Verify"/> then compares it
/// with PostgreSQL's. In a live data directory a tablespace_map without a backup_label is harmless: a server that
/// starts (after a crash) renames it to tablespace_map.old ("ignoring file tablespace_map because no file
/// backup_label exists"). A backup_label there would not be: that one reaches Borg through stdin
/// (<see cref="Borg.BorgLateFile"/>).
/// </summary>
public sealed class TablespaceMapFile
{
    public const string Name = "tablespace_map";

    private readonly string? _path;

    private TablespaceMapFile(string expected, string? path)
    {
        Expected = expected;
        _path = path;
    }

    /// <summary>The map as pg_backup_start built it from pg_tblspc ("" without tablespaces, when no file is written).</summary>
    public string Expected { get; }

    /// <summary>Whether the file is in the data directory for the snapshot or Borg to take (until <see cref="Remove"/>).</summary>
    public bool Placed => _path is not null;

    /// <summary>
    /// Writes the map into <paramref name="dataDirectory"/> (owned by <paramref name="owner"/>, 0600) if there are
    /// tablespaces. Not when a backup_label is there (an exclusive backup by another tool, PostgreSQL 14 and older,
    /// whose own tablespace_map this would replace) or the directory cannot be written: the base then holds no
    /// tablespace_map file (its pg_tblspc links still point at the tablespaces), which is logged.
    /// </summary>
    public static TablespaceMapFile Place(string dataDirectory, OsUser owner, string instance, ILogger log)
    {
        var expected = Format(Tablespaces.Links(dataDirectory));
        if (expected.Length == 0)
        {
            return new TablespaceMapFile(expected, null);
        }
        var path = Path.Combine(dataDirectory, Name);
        if (File.Exists(Path.Combine(dataDirectory, "backup_label")))
        {
            Log.TablespaceMapNotPlaced(log, instance, $"{dataDirectory} holds a backup_label (an exclusive backup by another tool?)");
            return new TablespaceMapFile(expected, null);
        }
        try
        {
            // the data directory is the service user's: whatever is at the name goes (a link is removed, not
            // followed), and the file is made anew, never opened through something planted there
            File.Delete(path);
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            using (var file = new FileStream(path, create))
            {
                file.Write(Encoding.UTF8.GetBytes(expected));
            }
            owner.Own(path);
            return new TablespaceMapFile(expected, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(path);
            Log.TablespaceMapNotPlaced(log, instance, e.Message);
            return new TablespaceMapFile(expected, null);
        }
    }

    /// <summary>Removes the file from the live data directory (again: a no-op).</summary>
    public void Remove()
    {
        if (_path is not null)
        {
            File.Delete(_path);
        }
    }

    /// <summary>
    /// Throws unless PostgreSQL's map (from pg_backup_stop) has the same lines as <see cref="Expected"/>, in any order
    /// (both follow pg_tblspc's directory order, which may differ between two reads): a tablespace created or dropped
    /// around pg_backup_start would otherwise leave the base with a wrong tablespace_map.
    /// </summary>
    public void Verify(string serverMap, string cycle)
    {
        static string[] Lines(string map) => [.. map.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
        if (!Lines(serverMap).SequenceEqual(Lines(Expected), StringComparer.Ordinal))
        {
            throw new PgException($"the tablespaces changed during the base backup of cycle {cycle}: PostgreSQL's tablespace_map is "
                + $"\"{serverMap.ReplaceLineEndings("; ").TrimEnd(' ', ';')}\", pg_tblspc had \"{Expected.ReplaceLineEndings("; ").TrimEnd(' ', ';')}\"");
        }
    }

    /// <summary>
    /// PostgreSQL's format: "OID TARGET" per line, the link target as written, with a backslash before a line break,
    /// carriage return or backslash in it.
    /// </summary>
    internal static string Format(IEnumerable<(uint Oid, string Target)> links)
    {
        var map = new StringBuilder();
        foreach (var (oid, target) in links)
        {
            map.Append(oid.ToString(CultureInfo.InvariantCulture)).Append(' ');
            foreach (var c in target)
            {
                if (c is '\n' or '\r' or '\\')
                {
                    map.Append('\\');
                }
                map.Append(c);
            }
            map.Append('\n');
        }
        return map.ToString();
    }
}
