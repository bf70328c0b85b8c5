using System.Runtime.InteropServices;

namespace PgBorg.Processes;

/// <summary>
/// Borg turns its working directory into a path when it starts (<c>os.getcwd()</c>) and writes every extracted item by
/// that path. A restore extracts into a directory made beside the target, whose parent is the service user's on Debian
/// (<c>/var/lib/postgresql/15</c>): that user could rename the directory during the extract and put a link to one of
/// root's in its place, and root's Borg would write the rest of the base there. So the extracting Borg runs in a mount
/// namespace of its own: this same binary (<c>pgborg __bind-exec</c>), started in the directory root holds open, makes
/// the namespace (unshare(2), every mount private), bind-mounts its working directory at a path only root can reach,
/// changes into it and executes Borg in the same process: the path Borg holds then names the directory root made,
/// whatever happens to its name. (The working directory, not <c>/proc/PID/fd/N</c>: the kernel moves a process's
/// working directory into the new namespace's copy of its mount, and a bind mount from a mount of another namespace is
/// refused with EINVAL.) Any failure exits 127 with a line saying why, which Borg's caller reports as an error; nothing
/// is extracted unprotected. The mount goes with the namespace when Borg exits; nothing is left to unmount.
/// </summary>
public static partial class MountIsolation
{
    public const string Command = "__bind-exec";

    /// <summary>The command line that runs <paramref name="inner"/> isolated, if <paramref name="spec"/> asks for it.</summary>
    internal static (string Program, IReadOnlyList<string> Arguments, string? WorkingDirectory) Wrap(ProcessSpec spec,
        (string Program, IReadOnlyList<string> Arguments) inner)
    {
        if (spec.IsolatedAt is not { } at || spec.WorkingDirectory is null || !OsUser.IsRoot)
        {
            return (inner.Program, inner.Arguments, spec.WorkingDirectory);
        }
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell the path of this program");
        // execv(3) does not search PATH
        return (self, [Command, at, "--", Path.GetFullPath(inner.Program), .. inner.Arguments], spec.WorkingDirectory);
    }

    /// <summary>
    /// <c>pgborg __bind-exec TARGET -- PROGRAM ARGS…</c>: makes a mount namespace, bind-mounts the working directory at
    /// TARGET, checks that TARGET now is that directory, changes into it and executes PROGRAM. Returns only on failure
    /// (127). Synchronous on purpose: the namespace and the working directory belong to the calling thread, the one that
    /// executes PROGRAM.
    /// </summary>
    public static int Run(IReadOnlyList<string> argv, TextWriter error)
    {
        const string source = ".";
        if (argv is not [Command, var target, "--", var program, ..])
        {
            error.WriteLine($"pgborg {Command}: usage: {Command} TARGET -- PROGRAM [ARGS...]");
            return 127;
        }
        const int cloneNewNs = 0x00020000;
        const ulong msBind = 4096, msRec = 16384, msPrivate = 1 << 18;
        if (unshare(cloneNewNs) != 0)
        {
            error.WriteLine($"pgborg {Command}: cannot make a mount namespace for {program} ({Marshal.GetLastPInvokeErrorMessage()}): "
                + "it needs CAP_SYS_ADMIN to extract where another user can rename the directory; restore into a directory whose parent only root can write");
            return 127;
        }
        // nothing mounted here reaches the host's namespace
        if (mount(null, "/", null, msRec | msPrivate, IntPtr.Zero) != 0 || mount(source, target, null, msBind, IntPtr.Zero) != 0)
        {
            error.WriteLine($"pgborg {Command}: cannot bind-mount its working directory at {target}: {Marshal.GetLastPInvokeErrorMessage()}");
            return 127;
        }
        if (FileStatus.Of(source) is not { IsDirectory: true } s || FileStatus.Of(target) is not { } t
            || (s.Inode, s.DeviceMajor, s.DeviceMinor) != (t.Inode, t.DeviceMajor, t.DeviceMinor))
        {
            error.WriteLine($"pgborg {Command}: {target} is not its working directory after the bind mount: refusing to run {program} there");
            return 127;
        }
        if (chdir(target) != 0)
        {
            error.WriteLine($"pgborg {Command}: cannot change into {target}: {Marshal.GetLastPInvokeErrorMessage()}");
            return 127;
        }
        // the program starts with no signal blocked, as it would have from Process.Start
        Span<byte> empty = stackalloc byte[128];
        empty.Clear();
        _ = pthread_sigmask(2 /* SIG_SETMASK */, empty, IntPtr.Zero);
        var arguments = argv.Skip(3).Select(Marshal.StringToCoTaskMemUTF8).Append(IntPtr.Zero).ToArray();
        _ = execv(program, arguments);
        error.WriteLine($"pgborg {Command}: cannot execute {program}: {Marshal.GetLastPInvokeErrorMessage()}");
        return 127;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string? source, string target, string? fileSystemType, ulong flags, IntPtr data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chdir(string path);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pthread_sigmask(int how, ReadOnlySpan<byte> set, IntPtr old);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execv(string path, IntPtr[] argv);
}
