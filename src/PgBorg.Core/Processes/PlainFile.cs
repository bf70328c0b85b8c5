using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PgBorg.Processes;

/// <summary>
/// Opens, as root, a file that data of another user made: Borg extracting an archive into root's own directory, where
/// the archive may have been written by the service user (pgcad can run as that user, with the repository's key).
/// Such an archive can hold a symlink (to /etc/shadow, say), a device node, a FIFO or a hard link under a WAL file's
/// name; root must then neither read through it, nor chown what it reaches, nor hand it to the service user.
/// </summary>
public static class PlainFile
{
    private const int ELOOP = 40;

    /// <summary>Opens <paramref name="path"/> for reading if it is a regular file with no other name.</summary>
    /// <exception cref="InvalidDataException">It is a link, a device, a FIFO, a directory, or has another name.</exception>
    /// <exception cref="IOException">It cannot be opened.</exception>
    public static SafeFileHandle OpenForReading(string path)
    {
        // no link followed, and no wait for a writer should it be a FIFO
        var fd = Native.Open(path, OpenFlags.NoFollow | OpenFlags.NonBlock);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == ELOOP
                ? new InvalidDataException($"{path} is a symbolic link, not a file")
                : new IOException($"cannot open {path}: errno {errno}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (FileStatus.Of(handle) is not { IsRegularFile: true, Links: 1 })
        {
            handle.Dispose();
            throw new InvalidDataException($"{path} is not a plain file (a device, a FIFO, a directory, or a file with another name)");
        }
        return handle;
    }
}
