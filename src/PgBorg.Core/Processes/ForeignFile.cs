using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PgBorg.Processes;

/// <summary>
/// Opening a file in a directory another user can write (the service user's spool and data directory): without
/// following a link (O_NOFOLLOW), without waiting on a FIFO (O_NONBLOCK), and only if it is a regular file. A root
/// process opening such a path plainly could be led to one of root's own files, or held up for ever.
/// </summary>
public static class ForeignFile
{
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int ELOOP = 40;

    /// <param name="owner">The file must be this user's (a hard link to a file of root's is not).</param>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="IOException">A link, a FIFO, a device or a directory is there, another user's file, or it cannot be opened.</exception>
    public static FileStream OpenRead(string path, int bufferSize = 4096, uint? owner = null)
    {
        var fd = Native.Open(path, OpenFlags.NoFollow | OpenFlags.NonBlock);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                ENOENT or ENOTDIR => new FileNotFoundException($"{path} does not exist", path),
                ELOOP => new IOException($"{path} is a link, not a file: refusing to follow it"),
                _ => new IOException($"cannot open {path}: errno {errno}"),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var status = FileStatus.Of(handle);
        if (status is not { IsRegularFile: true })
        {
            handle.Dispose();
            throw new IOException($"{path} is not a regular file: refusing to read it");
        }
        if (owner is { } expected && status.Value.Uid != expected)
        {
            handle.Dispose();
            throw new IOException($"{path} belongs to another user than the one expected: refusing to read it");
        }
        return new FileStream(handle, FileAccess.Read, bufferSize);
    }

    /// <summary>The text of a small file (a marker, a setting): at most <paramref name="maxBytes"/>, else an error.</summary>
    public static string ReadAllText(string path, int maxBytes = 1 << 16)
    {
        using var file = OpenRead(path);
        var bytes = new byte[maxBytes + 1];
        var read = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read > maxBytes)
        {
            throw new IOException($"{path} is larger than {maxBytes} bytes: not the small file expected");
        }
        return Encoding.UTF8.GetString(bytes, 0, read);
    }
}
