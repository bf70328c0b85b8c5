using System.Globalization;
using System.Text.RegularExpressions;

namespace PgBorg.Archiving;

public enum WalFileKind { Segment, PartialSegment, History, BackupHistory }

/// <summary>The names PostgreSQL gives the files it archives, and the positions encoded in them.</summary>
public static partial class WalFileName
{
    [GeneratedRegex("^[0-9A-F]{24}\\z")]
    private static partial Regex SegmentName();

    [GeneratedRegex("^[0-9A-F]{24}\\.partial\\z")]
    private static partial Regex PartialName();

    [GeneratedRegex("^[0-9A-F]{8}\\.history\\z")]
    private static partial Regex HistoryName();

    [GeneratedRegex("^[0-9A-F]{24}\\.[0-9A-F]{8}\\.backup\\z")]
    private static partial Regex BackupName();

    public static WalFileKind? Classify(string name) =>
        SegmentName().IsMatch(name) ? WalFileKind.Segment
        : HistoryName().IsMatch(name) ? WalFileKind.History
        : BackupName().IsMatch(name) ? WalFileKind.BackupHistory
        : PartialName().IsMatch(name) ? WalFileKind.PartialSegment
        : null;

    public static uint Timeline(string name) => uint.Parse(name.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    /// <summary>The segment number of a segment name (TLI excluded) for a given segment size.</summary>
    public static ulong SegmentNumber(string name, long segmentSize)
    {
        var log = ulong.Parse(name.AsSpan(8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var seg = ulong.Parse(name.AsSpan(16, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return log * (0x1_0000_0000UL / (ulong)segmentSize) + seg;
    }

    /// <summary>The segment name for a timeline and segment number.</summary>
    public static string Of(uint timeline, ulong segmentNumber, long segmentSize)
    {
        var perLog = 0x1_0000_0000UL / (ulong)segmentSize;
        return string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{segmentNumber / perLog:X8}{segmentNumber % perLog:X8}");
    }

    /// <summary>The segment holding an LSN written as PostgreSQL prints it (<c>0/2A000028</c>).</summary>
    public static string ForLsn(uint timeline, string lsn, long segmentSize) => Of(timeline, ParseLsn(lsn) / (ulong)segmentSize, segmentSize);

    public static ulong ParseLsn(string lsn)
    {
        var slash = lsn.IndexOf('/');
        if (slash < 0)
        {
            throw new FormatException($"not an LSN: '{lsn}'");
        }
        var hi = ulong.Parse(lsn.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var lo = ulong.Parse(lsn.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return (hi << 32) | lo;
    }

    public static string FormatLsn(ulong lsn) => string.Create(CultureInfo.InvariantCulture, $"{lsn >> 32:X}/{lsn & 0xFFFF_FFFF:X}");
}
