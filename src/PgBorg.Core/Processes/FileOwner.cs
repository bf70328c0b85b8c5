namespace PgBorg.Processes;

/// <summary>Owner of a file, through statx(2), whose layout is the same on every architecture.</summary>
public static class FileOwner
{
    private const int AtFdCwd = -100;
    private const uint StatxUid = 0x8;
    private const uint StatxGid = 0x10;

    public static uint? GroupOf(string path)
    {
        Span<byte> buf = stackalloc byte[256];
        if (Native.statx(AtFdCwd, path, 0, StatxGid, buf) != 0)
        {
            return null;
        }
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buf[24..]);
    }

    /// <summary>
    /// Owner, permission bits and type of the entry itself (a link is not followed), or null if there is none:
    /// what a root process checks before it trusts a directory.
    /// </summary>
    public static (uint Uid, UnixFileMode Mode, bool IsRegularFile, bool IsDirectory)? OfEntry(string path)
    {
        const int atSymlinkNoFollow = 0x100;
        const uint statxTypeAndMode = 0x1 | 0x2;
        Span<byte> buf = stackalloc byte[256];
        if (Native.statx(AtFdCwd, path, atSymlinkNoFollow, StatxUid | statxTypeAndMode, buf) != 0)
        {
            return null;
        }
        var uid = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buf[20..]);
        var mode = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(buf[28..]);
        var type = mode & 0xF000;
        return (uid, (UnixFileMode)(mode & 0xFFF), type == 0x8000, type == 0x4000);
    }

    public static uint? Of(string path)
    {
        Span<byte> buf = stackalloc byte[256];
        if (Native.statx(AtFdCwd, path, 0, StatxUid, buf) != 0)
        {
            return null;
        }
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buf[20..]);
    }
}
