using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>
/// <c>btrfs subvolume snapshot -r</c>: an atomic, instant, read-only snapshot of a subvolume, next to it.
/// Possible only for the root of a btrfs subvolume without nested subvolumes (a snapshot leaves those empty), as root.
/// </summary>
public sealed class BtrfsSnapshot : ISnapshotMethod
{
    public const string MethodName = "btrfs";

    public string Name => MethodName;

    public string? FilesCacheMode => FilesCacheModes.Btrfs;

    public async Task<bool> CanSnapshotAsync(string directory, CancellationToken ct) =>
        (await CheckAsync(directory, ct).ConfigureAwait(false)).Possible;

    public async Task<SnapshotAvailability> CheckAsync(string directory, CancellationToken ct)
    {
        var dir = DirectoryPaths.Resolve(directory);
        var mount = FilesystemProbe.MountOf(dir);
        var inode = FileStatus.OfEntry(dir)?.Inode ?? 0;
        if (mount.FsType != "btrfs" || inode != FilesystemProbe.BtrfsSubvolumeRootInode)
        {
            return SnapshotAvailability.No($"{dir} is not a btrfs subvolume (inode {inode} on {mount.FsType})");
        }
        var (same, own, parent) = DirectoryPaths.SiblingFilesystem(dir);
        if (!same)
        {
            return SnapshotAvailability.No(DirectoryPaths.OtherFilesystem(dir, own, parent));
        }
        if (!OsUser.IsRoot)
        {
            return SnapshotAvailability.No($"{dir} is a btrfs subvolume, but btrfs snapshots need root and pgborg runs as {OsUser.Current.Name}");
        }
        if (SnapshotTools.Btrfs is not { } btrfs)
        {
            return SnapshotAvailability.No(
                $"{dir} is a btrfs subvolume, but the btrfs program is missing ({string.Join(", ", SnapshotTools.BtrfsCandidates)}; install btrfs-progs)");
        }
        var list = await SnapshotTools.RunAsync(btrfs, ["subvolume", "list", "-o", dir], ct).ConfigureAwait(false);
        if (list.ExitCode != 0)
        {
            return SnapshotAvailability.No($"cannot list the subvolumes below {dir}: {ProcessFailedException.Describe(btrfs, list.ExitCode, list.StderrTail)}");
        }
        var nested = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.IndexOf(" path ", StringComparison.Ordinal) is var i and >= 0 ? line[(i + 6)..] : line)
            .ToList();
        if (nested.Count > 0)
        {
            return SnapshotAvailability.No($"{dir} contains nested btrfs subvolumes ({string.Join(", ", nested)}), which a snapshot would leave empty");
        }
        return SnapshotAvailability.Yes($"{dir} is a btrfs subvolume");
    }

    public async Task<string> SnapshotAsync(string directory, CancellationToken ct)
    {
        var dir = DirectoryPaths.Resolve(directory);
        var target = SnapshotNames.SiblingOf(dir);
        DirectoryPaths.RequireAbsent(target);
        var btrfs = RequireBtrfs();
        try
        {
            await SnapshotTools.RunCheckedAsync($"btrfs snapshot of {dir} to {target}", btrfs, ["subvolume", "snapshot", "-r", "--", dir, target], ct)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (FilesystemProbe.Exists(target))
        {
            // interrupted after the snapshot was made: do not leave it behind
            await SnapshotTools.UndoAsync(target, () => ReleaseAsync(target, CancellationToken.None), e).ConfigureAwait(false);
            throw;
        }
        return target;
    }

    public async Task ReleaseAsync(string snapshotPath, CancellationToken ct)
    {
        SnapshotNames.RequireSnapshotPath(snapshotPath, MethodName);
        if (FileStatus.OfEntry(snapshotPath) is not { } facts)
        {
            return;
        }
        if (!IsSubvolume(snapshotPath, facts))
        {
            throw new SnapshotException($"refusing to delete {snapshotPath} as a btrfs snapshot: it is not a btrfs subvolume");
        }
        var btrfs = RequireBtrfs();
        var first = await SnapshotTools.RunAsync(btrfs, ["subvolume", "delete", "--", snapshotPath], ct).ConfigureAwait(false);
        if (first.ExitCode == 0)
        {
            return;
        }
        // a read-only snapshot cannot be deleted by everyone who may delete a writable one: make it writable, then retry
        await SnapshotTools.RunAsync(btrfs, ["property", "set", "-ts", snapshotPath, "ro", "false"], ct).ConfigureAwait(false);
        await SnapshotTools.RunCheckedAsync($"deleting btrfs snapshot {snapshotPath}", btrfs, ["subvolume", "delete", "--", snapshotPath], ct)
            .ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="path"/> (not a symlink) is the root of a btrfs subvolume.</summary>
    internal static bool IsSubvolume(string path, FileStatus facts) =>
        facts is { IsDirectory: true, IsSymlink: false, Inode: FilesystemProbe.BtrfsSubvolumeRootInode }
        && Native.RealPath(path) is { } real
        && FilesystemProbe.MountOf(real).FsType == "btrfs";

    private static string RequireBtrfs() =>
        SnapshotTools.Btrfs ?? throw new SnapshotException($"the btrfs program is missing ({string.Join(", ", SnapshotTools.BtrfsCandidates)}; install btrfs-progs)");
}
