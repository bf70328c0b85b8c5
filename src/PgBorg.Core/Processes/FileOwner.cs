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
