using System.Runtime.InteropServices;

namespace PgBorg.Processes;

/// <summary>The few libc calls .NET does not expose. Source-generated interop, AOT-clean.</summary>
internal static partial class Native
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int dup2(int oldfd, int newfd);

    /// <summary>
    /// Points stdout and stderr at /dev/null: a detached process whose starter stopped reading its pipes would
    /// otherwise fail on its next write (an unhandled exception's report, say).
    /// </summary>
    public static void DetachStandardStreams()
    {
        using var devNull = new FileStream("/dev/null", FileMode.Open, FileAccess.Write);
        var fd = (int)devNull.SafeFileHandle.DangerousGetHandle();
        _ = dup2(fd, 1);
        _ = dup2(fd, 2);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8, EntryPoint = "rename")]
    private static partial int rename(string oldPath, string newPath);

    /// <summary>
    /// rename(2), replacing what is at <paramref name="to"/>. Never a copy: File.Move falls back to copying when the
    /// two are on different filesystems, and a root process copying into a directory the service user can swap for a
    /// link would write a root-owned file wherever that link points.
    /// </summary>
    public static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
        {
            throw new IOException($"cannot rename {from} to {to}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int olddirfd, string oldPath, int newdirfd, string newPath, uint flags);

    /// <summary>rename(2) that never replaces: false when <paramref name="to"/> exists already (RENAME_NOREPLACE).</summary>
    public static bool RenameNoReplace(string from, string to)
    {
        const int AtFdCwd = -100, EEXIST = 17;
        const uint NoReplace = 1;
        if (renameat2(AtFdCwd, from, AtFdCwd, to, NoReplace) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == EEXIST ? false : throw new IOException($"cannot rename {from} to {to}: errno {errno}", errno);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fallocate(int fd, int mode, long offset, long length);

    /// <summary>
    /// Allocates <paramref name="length"/> bytes for the file (fallocate(2)); an IOException whose HResult is the
    /// errno (28 for ENOSPC) when the filesystem has no room. A filesystem that cannot preallocate is left to the writes.
    /// </summary>
    public static void Reserve(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length)
    {
        const int EOPNOTSUPP = 95;
        if (length > 0 && fallocate((int)file.DangerousGetHandle(), 0, 0, length) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EOPNOTSUPP)
            {
                throw new IOException($"cannot allocate {length} bytes: errno {errno}", errno);
            }
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lchown(string path, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchown(Microsoft.Win32.SafeHandles.SafeFileHandle file, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    /// <summary>The path with every symlink, <c>.</c> and <c>..</c> resolved (realpath(3)), or null if it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8, EntryPoint = "open")]
    private static partial int open(string path, int flags);

    /// <summary>open(2) for reading, with <see cref="OpenFlags.CloseOnExec"/> always: a descriptor, or -1 with the errno in
    /// <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    public static int Open(string path, OpenFlags flags) => RuntimeInformation.ProcessArchitecture == Architecture.X64
        ? open(path, (int)(flags | OpenFlags.CloseOnExec))
        : throw new PlatformNotSupportedException("OpenFlags hold x86-64's values: pgborg is built for linux-x64 only");

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int getpwnam_r(string name, out Passwd pwd, IntPtr buf, nuint buflen, out IntPtr result);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpwuid_r(uint uid, out Passwd pwd, IntPtr buf, nuint buflen, out IntPtr result);

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public IntPtr Name;
        public IntPtr Password;
        public uint Uid;
        public uint Gid;
        public IntPtr Gecos;
        public IntPtr Dir;
        public IntPtr Shell;
    }

    public static OsUser? GetUserByName(string name) => Lookup((out Passwd p, IntPtr b, nuint l, out IntPtr r) => getpwnam_r(name, out p, b, l, out r));

    public static OsUser? GetUserById(uint uid) => Lookup((out Passwd p, IntPtr b, nuint l, out IntPtr r) => getpwuid_r(uid, out p, b, l, out r));

    private delegate int PwLookup(out Passwd pwd, IntPtr buf, nuint len, out IntPtr result);

    private static OsUser? Lookup(PwLookup lookup)
    {
        const int size = 16384;
        var buf = Marshal.AllocHGlobal(size);
        try
        {
            var rc = lookup(out var pwd, buf, size, out var result);
            if (rc != 0 || result == IntPtr.Zero)
            {
                return null;
            }
            return new OsUser(
                Marshal.PtrToStringUTF8(pwd.Name) ?? "",
                pwd.Uid,
                pwd.Gid,
                Marshal.PtrToStringUTF8(pwd.Dir) ?? "/");
        }
        finally
        {
            Marshal.FreeHGlobal(buf);
        }
    }
}
