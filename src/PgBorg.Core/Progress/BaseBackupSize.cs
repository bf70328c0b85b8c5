using PgBorg.Archiving;
using PgBorg.Snapshots;

namespace PgBorg.Progress;

/// <summary>
/// What a base backup of a data directory is going to read, measured beforehand as <c>du --apparent-size</c> would:
/// Borg's create reports only what it has read so far (<c>original_size</c>), never a total. The directories whose
/// contents the base leaves out (<see cref="BaseBackup.DataExcludes"/>: pg_wal, pg_replslot, …, pgsql_tmp anywhere) are
/// left out here too, and every tablespace is added. An estimate: files change until the snapshot is taken, and
/// unlogged relations (also left out) are counted.
/// </summary>
public static class BaseBackupSize
{
    public static long Measure(string dataDirectory)
    {
        // "sh:pg_wal/*" leaves out what is inside a top-level directory (the directory itself stays)
        var skippedTopLevel = BaseBackup.DataExcludes
            .Where(p => p.StartsWith("sh:", StringComparison.Ordinal) && p.EndsWith("/*", StringComparison.Ordinal) && !p[3..^2].Contains('/'))
            .Select(p => p[3..^2])
            .ToHashSet(StringComparer.Ordinal);
        var total = Walk(dataDirectory, dir => Path.GetDirectoryName(dir) == dataDirectory && skippedTopLevel.Contains(Path.GetFileName(dir)));
        foreach (var ts in Tablespaces.Read(dataDirectory))
        {
            total += Walk(ts.Path, _ => false);
        }
        return total;
    }

    /// <summary>Regular files' sizes under <paramref name="root"/>, not following symbolic links (pg_tblspc's point elsewhere).</summary>
    private static long Walk(string root, Func<string, bool> skip)
    {
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true, RecurseSubdirectories = false };
        var total = 0L;
        var pending = new Stack<string>([Path.TrimEndingDirectorySeparator(root)]);
        while (pending.TryPop(out var dir))
        {
            foreach (var file in new DirectoryInfo(dir).EnumerateFiles("*", options))
            {
                total += file.Length;
            }
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", options))
            {
                if (!skip(sub) && !Path.GetFileName(sub).StartsWith("pgsql_tmp", StringComparison.Ordinal))
                {
                    pending.Push(sub);
                }
            }
        }
        return total;
    }
}
