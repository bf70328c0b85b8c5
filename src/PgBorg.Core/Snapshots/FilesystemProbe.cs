using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>A line of /proc/self/mountinfo: where a filesystem is mounted, its device (major:minor) and type.</summary>
/// <remarks>For btrfs the device is that of the whole filesystem, the same for every subvolume and every mount of it.</remarks>
internal sealed record MountEntry(string MountPoint, string Device, string FsType);

/// <summary>What lstat says about a path: its inode number and whether it is a directory or a symlink.</summary>
internal readonly record struct FileFacts(ulong Inode, bool IsDirectory, bool IsSymlink);

/// <summary>What the snapshot methods need to know about a path: its real path, inode, type and filesystem. AOT-clean, no programs run.</summary>
internal static partial class FilesystemProbe
{
    /// <summary>On btrfs the root directory of every subvolume has this inode number.</summary>
    public const ulong BtrfsSubvolumeRootInode = 256;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const ushort TypeMask = 0xF000;
    private const ushort TypeDirectory = 0x4000;
    private const ushort TypeSymlink = 0xA000;

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    /// <summary>The canonical absolute path (symlinks resolved, like realpath(3)), or null if it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = RealPathNative(path, IntPtr.Zero);
        if (p == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>Inode and file type of <paramref name="path"/> itself (a symlink is not followed), or null if it does not exist.</summary>
    public static FileFacts? Lstat(string path)
    {
        Span<byte> buf = stackalloc byte[256];
        if (Native.statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxIno, buf) != 0)
        {
            return null;
        }
        var mode = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(buf[28..]) & TypeMask);
        var inode = BinaryPrimitives.ReadUInt64LittleEndian(buf[32..]);
        return new FileFacts(inode, mode == TypeDirectory, mode == TypeSymlink);
    }

    /// <summary>Whether anything (file, directory, dangling symlink) exists at <paramref name="path"/>.</summary>
    public static bool Exists(string path) => Lstat(path) is not null;

    /// <summary>The mount that holds <paramref name="realPath"/> (an already resolved path): the longest mount point that prefixes it, the topmost if stacked.</summary>
    public static MountEntry MountOf(string realPath) =>
        FindMount(File.ReadLines("/proc/self/mountinfo"), realPath)
        ?? throw new SnapshotException($"cannot find the filesystem of {realPath} in /proc/self/mountinfo");

    internal static MountEntry? FindMount(IEnumerable<string> mountinfoLines, string realPath)
    {
        MountEntry? best = null;
        foreach (var line in mountinfoLines)
        {
            if (ParseMountInfoLine(line) is not { } entry || !Contains(entry.MountPoint, realPath))
            {
                continue;
            }
            // later lines are mounted on top of earlier ones at the same place
            if (best is null || entry.MountPoint.Length >= best.MountPoint.Length)
            {
                best = entry;
            }
        }
        return best;
    }

    private static bool Contains(string mountPoint, string path) =>
        mountPoint == "/"
        || path == mountPoint
        || (path.StartsWith(mountPoint, StringComparison.Ordinal) && path.Length > mountPoint.Length && path[mountPoint.Length] == '/');

    /// <summary>Parses "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" (proc(5)).</summary>
    internal static MountEntry? ParseMountInfoLine(string line)
    {
        var fields = line.Split(' ');
        var separator = Array.IndexOf(fields, "-", 6);
        if (fields.Length < 7 || separator < 0 || separator + 1 >= fields.Length)
        {
            return null;
        }
        return new MountEntry(Unescape(fields[4]), fields[2], Unescape(fields[separator + 1]));
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \040 \011 \012 \134.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var bytes = new List<byte>(field.Length);
        var raw = Encoding.UTF8.GetBytes(field);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.Length && IsOctal(raw[i + 1]) && IsOctal(raw[i + 2]) && IsOctal(raw[i + 3]))
            {
                bytes.Add((byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(raw[i]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
}
