using System.Globalization;
using System.Runtime.InteropServices;

namespace PgBorg.Processes;

/// <summary>
/// A directory root made afresh and holds open, in a parent another user may write to (the data directory's parent
/// is the service user's on Debian). That user could rename the directory and put a link to one of root's own in its
/// place; so root works in it only through <see cref="Path"/>, <c>/proc/PID/fd/N</c>, which reaches the directory
/// it made whatever happens to its name, and checks with <see cref="IsAt"/> that a rename moved that directory.
/// </summary>
public sealed partial class DirectoryAnchor : IDisposable
{
    private const int EEXIST = 17;

    private readonly int _fd;
    private readonly (ulong Inode, uint Major, uint Minor) _identity;

    private DirectoryAnchor(string name, int fd, (ulong, uint, uint) identity)
    {
        Name = name;
        _fd = fd;
        _identity = identity;
        Path = string.Create(CultureInfo.InvariantCulture, $"/proc/{Environment.ProcessId}/fd/{fd}");
    }

    /// <summary>The path the directory was made at.</summary>
    public string Name { get; }

    /// <summary>The directory itself, for this process and the children it starts.</summary>
    public string Path { get; }

    /// <summary>
    /// Makes <paramref name="path"/> (0700) and holds it open. Refuses a path where anything already is: a directory
    /// someone prepared there would be theirs to change while root writes in it.
    /// </summary>
    /// <exception cref="UnsafeException">Something is already there.</exception>
    public static DirectoryAnchor Create(string path)
    {
        // the parents as Directory.CreateDirectory makes them (a restore into a path that does not exist yet)
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        if (mkdir(path, 0x1c0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == EEXIST
                ? new UnsafeException($"{path} already exists: an interrupted restore left it, or someone else made it; look at it, remove it and try again")
                : new IOException($"cannot create {path}: errno {errno}");
        }
        var fd = Native.Open(path, OpenFlags.Directory | OpenFlags.NoFollow);
        if (fd < 0)
        {
            throw new UnsafeException($"{path} was replaced as soon as it was made (errno {Marshal.GetLastPInvokeError()}): refusing to work in it");
        }
        var facts = FileStatus.OfDescriptor(fd);
        if (facts is not { } f || f.Uid != Native.geteuid() || ((int)f.Mode & 0x3f) != 0)
        {
            _ = Native.close(fd);
            throw new UnsafeException($"{path} was replaced as soon as it was made: refusing to work in it");
        }
        return new DirectoryAnchor(path, fd, (f.Inode, f.DeviceMajor, f.DeviceMinor));
    }

    /// <summary>Where the directory is now, as the kernel knows it (it may have been renamed); null if it was removed.</summary>
    public string? CurrentPath =>
        new FileInfo(Path).LinkTarget is { } now && !now.EndsWith(" (deleted)", StringComparison.Ordinal) && IsAt(now) ? now : null;

    /// <summary>Whether <paramref name="path"/> (not followed if a link) is this directory.</summary>
    public bool IsAt(string path) =>
        FileStatus.OfEntry(path) is { } f && (f.Inode, f.DeviceMajor, f.DeviceMinor) == _identity;

    public void Dispose() => _ = Native.close(_fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, uint mode);
}
