using System.Buffers.Binary;
using System.Text;

namespace PgBorg.Archiving;

/// <summary>
/// Checks that a file handed to wal-push really is what its name says, before it is stored: a WAL segment must
/// have the segment size, a long page header with the magic of the server's major version, the timeline and
/// page address its name implies, and the cluster's system identifier (catches recycled or foreign files, as
/// PGHoard does); history and backup-history files must be the small text files PostgreSQL writes. The one segment
/// whose first page may carry an older timeline is the first of a timeline that branched inside it, as its history
/// file (in <c>pg_wal</c>) says.
/// </summary>
public static class WalFileCheck
{
    private const ushort XlpLongHeader = 0x0002;

    /// <summary>XLOG_PAGE_MAGIC per major version.</summary>
    public static ushort? MagicFor(int majorVersion) => majorVersion switch
    {
        12 => 0xD101,
        13 => 0xD106,
        14 => 0xD10D,
        15 => 0xD110,
        16 => 0xD113,
        17 => 0xD116,
        18 => 0xD118,
        _ => null,
    };

    /// <summary>Throws <see cref="InvalidDataException"/> saying what is wrong, or returns the kind of file.</summary>
    /// <param name="historyDirectory">Where to read timeline history files (the data directory's <c>pg_wal</c>);
    /// without it a segment must begin with a page of its own timeline.</param>
    public static WalFileKind Check(string path, int? majorVersion, ulong? systemIdentifier, string? historyDirectory = null)
    {
        var name = Path.GetFileName(path);
        var kind = WalFileName.Classify(name)
            ?? throw new InvalidDataException($"{name} is not a WAL segment, timeline history or backup history file name; refusing to archive it");
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var length = file.Length;
        switch (kind)
        {
            case WalFileKind.Segment or WalFileKind.PartialSegment:
                CheckSegment(file, name, length, majorVersion, systemIdentifier, historyDirectory);
                break;
            case WalFileKind.History:
                CheckText(file, name, length, line => line.Length == 0 || line.StartsWith('#') || char.IsAsciiDigit(line[0]), "timeline history");
                break;
            default:
                CheckText(file, name, length, line => true, "backup history", mustContain: "START WAL LOCATION:");
                break;
        }
        return kind;
    }

    private static void CheckSegment(FileStream file, string name, long length, int? majorVersion, ulong? systemIdentifier, string? historyDirectory)
    {
        if (length < 1 << 20 || length > 1 << 30 || (length & (length - 1)) != 0)
        {
            throw new InvalidDataException($"{name}: {length} bytes is not a WAL segment size (a power of two from 1 MB to 1 GB)");
        }
        Span<byte> header = stackalloc byte[40];
        file.ReadExactly(header);
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(header);
        var info = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
        var tli = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        var pageAddress = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        var sysid = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        var segSize = BinaryPrimitives.ReadUInt32LittleEndian(header[32..]);
        var blockSize = BinaryPrimitives.ReadUInt32LittleEndian(header[36..]);
        if (majorVersion is { } v && MagicFor(v) is { } expected && magic != expected)
        {
            throw new InvalidDataException($"{name}: page magic 0x{magic:X4} is not PostgreSQL {v}'s 0x{expected:X4} (a recycled or foreign file?)");
        }
        if ((info & XlpLongHeader) == 0 || segSize != length || blockSize is 0 or > 65536)
        {
            throw new InvalidDataException($"{name}: no valid long page header at the start of the segment");
        }
        var segmentNumber = WalFileName.SegmentNumber(name, length);
        var fileTimeline = WalFileName.Timeline(name);
        if (tli != fileTimeline && !(tli < fileTimeline && historyDirectory is not null
            && TimelineHistory.ReadFrom(historyDirectory, fileTimeline)?.AllowsOlderPagesIn(segmentNumber, length, tli) == true))
        {
            throw new InvalidDataException($"{name}: the first page belongs to timeline {tli}, not {fileTimeline}, and the history of timeline {fileTimeline} does not branch inside this segment");
        }
        var expectedAddress = segmentNumber * (ulong)length;
        if (pageAddress != expectedAddress)
        {
            throw new InvalidDataException($"{name}: the first page is at {WalFileName.FormatLsn(pageAddress)}, not {WalFileName.FormatLsn(expectedAddress)} (a recycled segment?)");
        }
        if (systemIdentifier is { } id && sysid != id)
        {
            throw new InvalidDataException($"{name}: written by database system {sysid}, not this cluster's {id}");
        }
    }

    private static void CheckText(FileStream file, string name, long length, Func<string, bool> lineOk, string what, string? mustContain = null)
    {
        if (length > 1 << 20)
        {
            throw new InvalidDataException($"{name}: {length} bytes is too large for a {what} file");
        }
        var bytes = new byte[length];
        file.ReadExactly(bytes);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{name}: not a {what} file (not text)");
        }
        if (!text.Split('\n').All(l => lineOk(l.Trim())) || (mustContain is not null && !text.Contains(mustContain, StringComparison.Ordinal)))
        {
            throw new InvalidDataException($"{name}: not a {what} file");
        }
    }

    /// <summary>The system identifier from <c>global/pg_control</c> (its first 8 bytes), or null if unreadable.</summary>
    public static ulong? ReadSystemIdentifier(string dataDirectory)
    {
        try
        {
            using var f = Processes.ForeignFile.OpenRead(Path.Combine(dataDirectory, "global", "pg_control"), 1);
            Span<byte> b = stackalloc byte[8];
            f.ReadExactly(b);
            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
