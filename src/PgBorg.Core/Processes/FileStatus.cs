using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace PgBorg.Processes;

/// <summary>
/// What statx(2) says about a file: the one reader of it in pgborg. <c>struct statx</c> has the same layout on every
/// architecture, so the offsets below hold everywhere, unlike <c>struct stat</c>'s.
/// </summary>
/// <param name="Mode">The permission bits (with set-id and sticky).</param>
/// <param name="CtimeNanoseconds">The status change time, in nanoseconds since the epoch.</param>
/// <param name="Links">How many names the file has (hard links).</param>
public readonly record struct FileStatus(FileStatus.Kind Type, UnixFileMode Mode, uint Uid, uint Gid, ulong Inode,
    uint DeviceMajor, uint DeviceMinor, long CtimeNanoseconds, uint Links)
{
    public enum Kind { Other, RegularFile, Directory, Symlink }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint BasicStats = 0x7ff;

    public bool IsRegularFile => Type == Kind.RegularFile;

    public bool IsDirectory => Type == Kind.Directory;

    public bool IsSymlink => Type == Kind.Symlink;

    /// <summary>The file <paramref name="path"/> names, links followed; null if there is none.</summary>
    public static FileStatus? Of(string path) => Read(AtFdCwd, path, 0);

    /// <summary>The entry itself (a link is not followed): what a root process checks before it trusts a path.</summary>
    public static FileStatus? OfEntry(string path) => Read(AtFdCwd, path, AtSymlinkNoFollow);

    /// <summary>The file an open handle holds, whatever has become of its name since.</summary>
    public static FileStatus? Of(SafeFileHandle handle) => OfDescriptor((int)handle.DangerousGetHandle());

    /// <summary>The file a descriptor holds (<see cref="Native.Open"/>).</summary>
    public static FileStatus? OfDescriptor(int fd) => Read(fd, "", AtEmptyPath);

    private static FileStatus? Read(int dirfd, string path, int flags)
    {
        Span<byte> buf = stackalloc byte[256];
        if (Native.statx(dirfd, path, flags, BasicStats, buf) != 0)
        {
            return null;
        }
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buf[28..]);
        var type = (mode & 0xF000) switch
        {
            0x8000 => Kind.RegularFile,
            0x4000 => Kind.Directory,
            0xA000 => Kind.Symlink,
            _ => Kind.Other,
        };
        // stx_nlink 16, stx_uid 20, stx_gid 24, stx_mode 28, stx_ino 32, stx_ctime 96 (tv_sec i64, tv_nsec u32), stx_dev_major 136, stx_dev_minor 140
        return new FileStatus(type, (UnixFileMode)(mode & 0xFFF), BinaryPrimitives.ReadUInt32LittleEndian(buf[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(buf[24..]), BinaryPrimitives.ReadUInt64LittleEndian(buf[32..]),
            BinaryPrimitives.ReadUInt32LittleEndian(buf[136..]), BinaryPrimitives.ReadUInt32LittleEndian(buf[140..]),
            BinaryPrimitives.ReadInt64LittleEndian(buf[96..]) * 1_000_000_000 + BinaryPrimitives.ReadUInt32LittleEndian(buf[104..]),
            BinaryPrimitives.ReadUInt32LittleEndian(buf[16..]));
    }
}
