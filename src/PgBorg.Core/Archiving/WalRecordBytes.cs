using System.Buffers.Binary;
using System.Text;

namespace PgBorg.Archiving;

/// <summary>
/// Reads one restore point record's payload straight from the segment files, for the one field pg_waldump does not
/// print: its time. The layout is the same in PostgreSQL 13 to 18: each page starts with a header (40 bytes on a
/// segment's first page, 24 on the others) and a record's bytes continue after the next page's header; a record is a
/// 24-byte <c>XLogRecord</c> header, then the headers of its parts (a restore point has no block references, at most
/// an origin or top-level transaction part), then its main data, <c>xl_restore_point { TimestampTz rp_time; char
/// rp_name[64]; }</c>.
/// </summary>
internal static class WalRecordBytes
{
    /// <summary>PostgreSQL's largest WAL page size (<c>--with-wal-blocksize</c> allows 1 to 64 KiB).</summary>
    public const ulong MaxPageSize = 65536;

    private const int RecordHeader = 24;
    private const int ShortPageHeader = 24;
    private const int LongPageHeader = 40;
    private const int PointData = 8 + 64;
    private const byte RmgrXlog = 0;
    private const byte DataShort = 255;
    private const byte DataLong = 254;
    private const byte Origin = 253;
    private const byte TopLevelXid = 252;
    private static readonly DateTimeOffset PostgresEpoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The name and time of the restore point record at <paramref name="lsn"/>, or null when its bytes are not readable as one.</summary>
    public static (string Name, DateTimeOffset? Time)? RestorePoint(string dir, uint timeline, long segmentSize, ulong lsn)
    {
        var bytes = Read(dir, timeline, segmentSize, lsn, RecordHeader + 16 + PointData);
        if (bytes is null || bytes[17] != RmgrXlog)
        {
            return null;
        }
        var at = RecordHeader;
        while (at < RecordHeader + 16)
        {
            switch (bytes[at])
            {
                case DataShort:
                    return Decode(bytes.AsSpan(at + 2));
                case DataLong:
                    return Decode(bytes.AsSpan(at + 5));
                case Origin:
                    at += 3;
                    break;
                case TopLevelXid:
                    at += 5;
                    break;
                default:
                    return null;
            }
        }
        return null;
    }

    private static (string, DateTimeOffset?)? Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < PointData)
        {
            return null;
        }
        var micros = BinaryPrimitives.ReadInt64LittleEndian(data);
        var name = data.Slice(8, 64);
        var nul = name.IndexOf((byte)0);
        return (Encoding.UTF8.GetString(nul < 0 ? name : name[..nul]), PostgresEpoch.AddTicks(micros * 10));
    }

    /// <summary><paramref name="count"/> bytes of WAL from <paramref name="lsn"/>, page headers skipped; null if a file ends or is missing.</summary>
    private static byte[]? Read(string dir, uint timeline, long segmentSize, ulong lsn, int count)
    {
        var result = new byte[count];
        var done = 0;
        var position = lsn;
        FileStream? file = null;
        ulong openSegment = ulong.MaxValue;
        uint pageSize = 0;
        Span<byte> header = stackalloc byte[4];
        try
        {
            while (done < count)
            {
                var segment = position / (ulong)segmentSize;
                var offset = (long)(position % (ulong)segmentSize);
                if (segment != openSegment)
                {
                    file?.Dispose();
                    var path = Path.Combine(dir, WalFileName.Of(timeline, segment, segmentSize));
                    if (!File.Exists(path))
                    {
                        return null;
                    }
                    file = Processes.ForeignFile.OpenRead(path);
                    openSegment = segment;
                    // xlp_xlog_blcksz of the segment's long page header
                    file.Position = 36;
                    file.ReadExactly(header);
                    pageSize = BinaryPrimitives.ReadUInt32LittleEndian(header);
                    if (pageSize is 0 or > (uint)MaxPageSize)
                    {
                        return null;
                    }
                }
                var inPage = offset % pageSize;
                if (inPage == 0)
                {
                    position += offset == 0 ? (ulong)LongPageHeader : ShortPageHeader;
                    continue;
                }
                var n = (int)Math.Min(count - done, pageSize - inPage);
                file!.Position = offset;
                file.ReadExactly(result, done, n);
                done += n;
                position += (ulong)n;
            }
            return result;
        }
        catch (EndOfStreamException)
        {
            return null;
        }
        finally
        {
            file?.Dispose();
        }
    }
}
