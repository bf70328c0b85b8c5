using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PgBorg.Snapshots;

/// <summary>
/// <c>cp -a --reflink=always</c>: a copy next to the directory that shares its blocks (XFS with reflink, btrfs),
/// so it takes little time and space. Not atomic: like direct, it relies on backup mode, but Borg then reads a
/// copy that no longer changes, and backup mode ends as soon as the copy is made.
/// </summary>
/// <param name="log">Where to report files that vanished during the copy (not an error).</param>
public sealed class ReflinkSnapshot(ILogger? log = null) : ISnapshotMethod
{
    public const string MethodName = "reflink";

    private const int ProbeSize = 64 * 1024;
    private readonly ILogger _log = log ?? NullLogger.Instance;

    public string Name => MethodName;

    public string? FilesCacheMode => FilesCacheModes.Reflink;

    public async Task<bool> CanSnapshotAsync(string directory, CancellationToken ct) =>
        (await CheckAsync(directory, ct).ConfigureAwait(false)).Possible;

    /// <summary>Possible when the parent directory (where the copy goes) is on the same filesystem and a reflink copy of a probe file succeeds there.</summary>
    public async Task<SnapshotAvailability> CheckAsync(string directory, CancellationToken ct)
    {
        var dir = DirectoryPaths.Resolve(directory);
        if (SnapshotTools.Cp is not { } cp)
        {
            return SnapshotAvailability.No($"cp is missing ({string.Join(", ", SnapshotTools.CpCandidates)})");
        }
        var (same, own, parentMount) = DirectoryPaths.SiblingFilesystem(dir);
        if (!same)
        {
            return SnapshotAvailability.No(DirectoryPaths.OtherFilesystem(dir, own, parentMount));
        }
        var parent = DirectoryPaths.ParentOf(dir);
        var probe = Path.Combine(parent, $".pgborg-reflink-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var copy = probe + ".copy";
        try
        {
            try
            {
                var data = new byte[ProbeSize];
                Array.Fill(data, (byte)0x5A);
                await File.WriteAllBytesAsync(probe, data, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return SnapshotAvailability.No($"cannot create a probe file in {parent}: {e.Message}");
            }
            var r = await SnapshotTools.RunAsync(cp, ["--reflink=always", "--", probe, copy], ct).ConfigureAwait(false);
            return r.ExitCode == 0
                ? SnapshotAvailability.Yes($"{parent} supports reflinks ({own.FsType})")
                : SnapshotAvailability.No($"{dir} is on {own.FsType}, which does not support reflinks here (cp --reflink=always: {r.StderrTail.Trim()})");
        }
        finally
        {
            File.Delete(probe);
            File.Delete(copy);
        }
    }

    public async Task<string> SnapshotAsync(string directory, CancellationToken ct)
    {
        var dir = DirectoryPaths.Resolve(directory);
        var target = SnapshotNames.SiblingOf(dir);
        DirectoryPaths.RequireAbsent(target);
        var cp = SnapshotTools.Cp ?? throw new SnapshotException($"cp is missing ({string.Join(", ", SnapshotTools.CpCandidates)})");
        try
        {
            var copyStart = DateTimeOffset.UtcNow;
            var (count, examples) = await ReflinkCopy.RunAsync(cp, dir, target, ct).ConfigureAwait(false);
            if (count > 0)
            {
                Log.ReflinkFilesVanished(_log, dir, count, string.Join(", ", examples));
            }
            var (keyed, hot) = ReflinkCacheKeys.Apply(dir, target, copyStart, ct);
            Log.ReflinkCacheKeys(_log, target, keyed, hot);
        }
        catch (Exception e) when (FilesystemProbe.Exists(target))
        {
            // a half-made copy is never left behind
            await SnapshotTools.UndoAsync(target, () => SnapshotTools.RemoveTreeAsync(target, CancellationToken.None), e).ConfigureAwait(false);
            throw;
        }
        return target;
    }

    /// <summary>Deletes the copy recursively (symlinks removed, never followed). Refuses any path not named <c>BASENAME.pgborg-snapshot-STAMP</c>.</summary>
    public Task ReleaseAsync(string snapshotPath, CancellationToken ct) => SnapshotTools.RemoveTreeAsync(snapshotPath, ct);
}
