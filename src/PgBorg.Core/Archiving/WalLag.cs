namespace PgBorg.Archiving;

/// <summary>Archive lag: the segments PostgreSQL completed that are not in Borg yet.</summary>
public static class WalLag
{
    /// <summary>
    /// Segments between the newest one in Borg and the one PostgreSQL writes now (which is not complete, so not
    /// counted). Segment numbers run on across timelines, so a promotion does not make the lag jump. Null when
    /// either end is unknown (nothing archived yet, a standby).
    /// </summary>
    public static long? Segments(string? currentWal, string? newestInBorg, long segmentSize)
    {
        if (currentWal is null || newestInBorg is null || segmentSize <= 0
            || WalFileName.Classify(currentWal) != WalFileKind.Segment || WalFileName.Classify(newestInBorg) != WalFileKind.Segment)
        {
            return null;
        }
        var lag = (long)WalFileName.SegmentNumber(currentWal, segmentSize) - (long)WalFileName.SegmentNumber(newestInBorg, segmentSize) - 1;
        return Math.Max(0, lag);
    }
}
