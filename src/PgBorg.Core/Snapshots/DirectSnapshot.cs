namespace PgBorg.Snapshots;

/// <summary>
/// No copy: Borg reads the live directory while the server is in backup mode (consistent through the backup label
/// and WAL replay). Works everywhere; the slowest, since the base backup holds backup mode for the whole read.
/// </summary>
public sealed class DirectSnapshot : ISnapshotMethod
{
    public const string MethodName = "direct";

    public string Name => MethodName;

    public string? FilesCacheMode => FilesCacheModes.Direct;

    public Task<bool> CanSnapshotAsync(string directory, CancellationToken ct) => Task.FromResult(true);

    public Task<SnapshotAvailability> CheckAsync(string directory, CancellationToken ct) =>
        Task.FromResult(SnapshotAvailability.Yes($"Borg reads {directory} live, in backup mode"));

    public Task<string> SnapshotAsync(string directory, CancellationToken ct) => Task.FromResult(DirectoryPaths.Resolve(directory));

    /// <summary>Nothing was made, nothing is deleted.</summary>
    public Task ReleaseAsync(string snapshotPath, CancellationToken ct) => Task.CompletedTask;
}
