using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>Resolving the directories to freeze and checking where their snapshots go.</summary>
internal static class DirectoryPaths
{
    /// <summary>
    /// The real path of <paramref name="directory"/> (symlinks resolved), so the snapshot lands next to the real
    /// directory, on its filesystem. Throws if it is not an existing directory or has no parent.
    /// </summary>
    public static string Resolve(string directory, string what = "directory")
    {
        if (!Path.IsPathFullyQualified(directory))
        {
            throw new SnapshotException($"{what} \"{directory}\" is not an absolute path");
        }
        var real = Native.RealPath(directory);
        if (real is null || FileStatus.OfEntry(real) is not { IsDirectory: true })
        {
            throw new SnapshotException($"{what} {directory} does not exist or is not a directory");
        }
        if (real == "/")
        {
            throw new SnapshotException($"{what} {directory} is the root directory: there is no place next to it for a snapshot");
        }
        return real;
    }

    public static string ParentOf(string realDirectory) => Path.GetDirectoryName(realDirectory) ?? "/";

    /// <summary>Refuses to snapshot into a path that exists already: nothing is ever written over or into it.</summary>
    public static void RequireAbsent(string target)
    {
        if (FilesystemProbe.Exists(target))
        {
            throw new SnapshotException(
                $"{target} already exists: a leftover of an interrupted backup (pgborg removes those before the next one) or something that should not have that name; move it away");
        }
    }

    /// <summary>Whether the directory and its parent (where the sibling snapshot goes) are on the same filesystem.</summary>
    public static (bool Same, MountEntry Directory, MountEntry Parent) SiblingFilesystem(string realDirectory)
    {
        var own = FilesystemProbe.MountOf(realDirectory);
        var parent = FilesystemProbe.MountOf(ParentOf(realDirectory));
        return (own.Device == parent.Device, own, parent);
    }

    public static string OtherFilesystem(string realDirectory, MountEntry own, MountEntry parent) =>
        $"{realDirectory} is a mount point ({own.FsType}) and its parent {ParentOf(realDirectory)} is on another filesystem ({parent.FsType}), so a snapshot next to it cannot share its blocks";
}
