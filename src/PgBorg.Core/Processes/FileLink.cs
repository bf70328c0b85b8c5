using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PgBorg.Processes;

/// <summary>
/// Gives an open file a name: a hard link where the file and the name share a filesystem, so that no byte is copied,
/// else a copy made by the kernel (copy_file_range(2)). The file is reached by its descriptor (/proc/self/fd), never
/// by a path, so it may be one this process could not have opened itself.
/// </summary>
public static partial class FileLink
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkFollow = 0x400;
    private const int EPERM = 1, ENOENT = 2, EACCES = 13, EXDEV = 18, EINVAL = 22, EMLINK = 31, ENOSYS = 38, EOPNOTSUPP = 95;

    /// <summary>
    /// Links <paramref name="source"/> at <paramref name="destination"/>, or copies it there (a new file of
    /// <paramref name="mode"/>) when it cannot: another filesystem, or a file the kernel does not let us link
    /// (fs.protected_hardlinks: another user's), or a filesystem without hard links.
    /// </summary>
    /// <returns>What to sync: <paramref name="source"/> itself when linked; else the copy, and the source is closed.</returns>
    public static SafeFileHandle LinkOrCopy(SafeFileHandle source, string destination, UnixFileMode mode)
    {
        var fd = "/proc/self/fd/" + source.DangerousGetHandle();
        if (linkat(AtFdCwd, fd, AtFdCwd, destination, AtSymlinkFollow) == 0)
        {
            return source;
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno is not (EXDEV or EPERM or EACCES or ENOENT or EMLINK or ENOSYS or EOPNOTSUPP))
        {
            throw new IOException($"cannot link {destination}: errno {errno}", errno);
        }
        using (source)
        {
            var copy = File.OpenHandle(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            try
            {
                File.SetUnixFileMode(copy, mode);
                Copy(source, copy, RandomAccess.GetLength(source));
                return copy;
            }
            catch
            {
                copy.Dispose();
                File.Delete(destination);
                throw;
            }
        }
    }

    private static void Copy(SafeFileHandle source, SafeFileHandle copy, long length)
    {
        long offsetIn = 0, offsetOut = 0;
        while (offsetIn < length)
        {
            var n = copy_file_range(source, ref offsetIn, copy, ref offsetOut, (nuint)(length - offsetIn), 0);
            if (n > 0)
            {
                continue;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (n == 0 || errno is EXDEV or EINVAL or ENOSYS or EOPNOTSUPP)
            {
                break; // the kernel cannot here (older kernels across filesystems): the rest by reads and writes
            }
            throw new IOException($"cannot copy to {copy}: errno {errno}", errno);
        }
        var buffer = new byte[1 << 16];
        while (offsetIn < length)
        {
            var n = RandomAccess.Read(source, buffer, offsetIn);
            if (n == 0)
            {
                throw new IOException($"the file ended {length - offsetIn} bytes early");
            }
            RandomAccess.Write(copy, buffer.AsSpan(0, n), offsetOut);
            offsetIn += n;
            offsetOut += n;
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint copy_file_range(SafeFileHandle fdIn, ref long offIn, SafeFileHandle fdOut, ref long offOut, nuint length, uint flags);
}
