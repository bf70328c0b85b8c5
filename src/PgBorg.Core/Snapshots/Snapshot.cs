using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>A tablespace outside the data directory: its OID (the name of its pg_tblspc symlink) and its location.</summary>
public sealed record TablespaceLocation(uint Oid, string Path);

/// <summary>What to freeze: the data directory and every tablespace, taken while the server is in backup mode.</summary>
/// <param name="Stamp">The cycle stamp (e.g. 20261125T114700Z), used in the snapshot directory names.</param>
public sealed record SnapshotSource(string DataDirectory, IReadOnlyList<TablespaceLocation> Tablespaces, OsUser Owner, string Stamp);

/// <summary>
/// Where Borg should read a base backup from: for btrfs and reflink a frozen copy next to the original,
/// for direct the live directories themselves (consistent through backup mode and WAL replay).
/// Disposing releases the snapshot (deletes the subvolume or copy); it is safe to call twice.
/// </summary>
public sealed class Snapshot(string method, string dataPath, IReadOnlyDictionary<uint, string> tablespacePaths, Func<Task> release,
    string? dataFilesCache = null, IReadOnlyDictionary<uint, string?>? tablespaceFilesCache = null) : IAsyncDisposable
{
    private int _released;

    /// <summary>The method actually used for the data directory: btrfs, reflink or direct.</summary>
    public string Method { get; } = method;

    /// <summary>The directory Borg reads as the data directory.</summary>
    public string DataPath { get; } = dataPath;

    /// <summary>For each tablespace OID, the directory Borg reads for it.</summary>
    public IReadOnlyDictionary<uint, string> TablespacePaths { get; } = tablespacePaths;

    /// <summary>Borg's <c>--files-cache</c> mode for the data directory, or null: read every file (<see cref="ISnapshotMethod.FilesCacheMode"/>).</summary>
    public string? DataFilesCache { get; } = dataFilesCache;

    /// <summary>Borg's <c>--files-cache</c> mode for each tablespace (each may have been frozen by another method), or null.</summary>
    public string? TablespaceFilesCache(uint oid) => tablespaceFilesCache?.GetValueOrDefault(oid);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await release().ConfigureAwait(false);
        }
    }
}

/// <summary>One way of freezing a directory.</summary>
public interface ISnapshotMethod
{
    /// <summary>btrfs, reflink or direct.</summary>
    string Name { get; }

    /// <summary>Whether this method can snapshot <paramref name="directory"/> here (filesystem, subvolume, permissions).</summary>
    Task<bool> CanSnapshotAsync(string directory, CancellationToken ct);

    /// <summary>Like <see cref="CanSnapshotAsync"/>, with the reason, for the log and for error messages.</summary>
    async Task<SnapshotAvailability> CheckAsync(string directory, CancellationToken ct) =>
        await CanSnapshotAsync(directory, ct).ConfigureAwait(false)
            ? SnapshotAvailability.Yes($"{Name} can snapshot {directory}")
            : SnapshotAvailability.No($"{Name} cannot snapshot {directory}");

    /// <summary>
    /// How Borg's files cache may recognise an unchanged file in what this method presents (a <c>--files-cache</c>
    /// mode), or null when it must not be used and every file is read and hashed. See <see cref="FilesCacheModes"/>.
    /// </summary>
    string? FilesCacheMode { get; }

    /// <summary>Freezes <paramref name="directory"/> into a sibling named <c>BASENAME.pgborg-snapshot</c> (the same path every time); returns the path Borg should read.</summary>
    Task<string> SnapshotAsync(string directory, CancellationToken ct);

    /// <summary>Removes a snapshot made by <see cref="SnapshotAsync"/>.</summary>
    Task ReleaseAsync(string snapshotPath, CancellationToken ct);
}
