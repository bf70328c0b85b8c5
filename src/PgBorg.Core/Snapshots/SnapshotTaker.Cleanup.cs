using Microsoft.Extensions.Logging;
using PgBorg.Processes;

namespace PgBorg.Snapshots;

public static partial class SnapshotTaker
{
    /// <summary>
    /// After a crash during a base backup: removes every sibling named exactly <c>BASENAME.pgborg-snapshot-STAMP</c>
    /// of the data directory and of each tablespace directory — a btrfs subvolume with <c>btrfs subvolume delete</c>,
    /// a directory recursively (symlinks removed, never followed). Anything else is never touched. Tries all of them
    /// and then throws if any could not be removed.
    /// </summary>
    public static async Task CleanupLeftoversAsync(string dataDirectory, IEnumerable<string> tablespaceDirectories, ILogger log, CancellationToken ct)
    {
        var failures = new List<string>();
        foreach (var directory in new[] { dataDirectory }.Concat(tablespaceDirectories).Select(Locate).Distinct(StringComparer.Ordinal))
        {
            var parent = DirectoryPaths.ParentOf(directory);
            var baseName = Path.GetFileName(directory);
            if (baseName.Length == 0 || !Directory.Exists(parent))
            {
                continue;
            }
            var leftovers = Directory.EnumerateFileSystemEntries(parent)
                .Where(p => SnapshotNames.IsSnapshotOf(Path.GetFileName(p), baseName))
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (var leftover in leftovers)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    await RemoveLeftoverAsync(leftover, log, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SnapshotException or ProcessFailedException or IOException or UnauthorizedAccessException)
                {
                    Log.LeftoverSnapshotNotRemoved(log, leftover, e.Message);
                    failures.Add(e.Message);
                }
            }
        }
        if (failures.Count > 0)
        {
            throw new SnapshotException($"cannot remove {failures.Count} leftover snapshot(s): {string.Join("; ", failures)}");
        }
    }

    private static async Task RemoveLeftoverAsync(string path, ILogger log, CancellationToken ct)
    {
        if (FileStatus.OfEntry(path) is not { } facts)
        {
            return;
        }
        if (facts.IsSymlink || !facts.IsDirectory)
        {
            throw new SnapshotException($"{path} is named like a pgborg snapshot but is not a directory; remove it by hand if it should not be there");
        }
        if (BtrfsSnapshot.IsSubvolume(path, facts))
        {
            Log.RemovingLeftoverSnapshot(log, "btrfs snapshot", path);
            await new BtrfsSnapshot().ReleaseAsync(path, ct).ConfigureAwait(false);
        }
        else
        {
            Log.RemovingLeftoverSnapshot(log, "snapshot copy", path);
            await SnapshotTools.RemoveTreeAsync(path, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Where the snapshots of <paramref name="directory"/> were put: next to its real path (or, if it is gone, next to the real path of its parent).</summary>
    private static string Locate(string directory)
    {
        if (!Path.IsPathFullyQualified(directory))
        {
            throw new SnapshotException($"directory \"{directory}\" is not an absolute path");
        }
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (Native.RealPath(full) is { } real)
        {
            return real;
        }
        var parent = Path.GetDirectoryName(full);
        return parent is not null && Native.RealPath(parent) is { } realParent
            ? Path.Combine(realParent, Path.GetFileName(full))
            : full;
    }
}
