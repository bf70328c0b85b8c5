using System.Globalization;

namespace PgBorg.Archiving;

/// <summary>
/// A timeline history file (<c>NNNNNNNN.history</c>): one line per ancestor timeline, "parent TLI, tab, the LSN
/// where it ended, tab, why", oldest first. The last line is the direct parent, and its LSN is where this timeline
/// begins.
/// </summary>
public sealed class TimelineHistory
{
    private TimelineHistory(uint timeline, IReadOnlyList<(uint Timeline, ulong SwitchPoint)> ancestors)
    {
        Timeline = timeline;
        Ancestors = ancestors;
    }

    public uint Timeline { get; }

    /// <summary>Each ancestor with the LSN where it switched to its child, oldest first.</summary>
    public IReadOnlyList<(uint Timeline, ulong SwitchPoint)> Ancestors { get; }

    /// <summary>Where this timeline branched off its parent (null for a history with no lines).</summary>
    public ulong? BranchPoint => Ancestors.Count == 0 ? null : Ancestors[^1].SwitchPoint;

    public static TimelineHistory Parse(uint timeline, string text)
    {
        var ancestors = new List<(uint, ulong)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var fields = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !uint.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var tli))
            {
                throw new InvalidDataException($"timeline history {timeline:X8}: malformed line '{line}'");
            }
            ulong lsn;
            try
            {
                lsn = WalFileName.ParseLsn(fields[1]);
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"timeline history {timeline:X8}: malformed LSN in '{line}'");
            }
            ancestors.Add((tli, lsn));
        }
        return new TimelineHistory(timeline, ancestors);
    }

    /// <summary>The history of <paramref name="timeline"/> from a <c>pg_wal</c> (or spool) directory, or null if it has none.</summary>
    public static TimelineHistory? ReadFrom(string directory, uint timeline)
    {
        var path = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}.history"));
        try
        {
            return Parse(timeline, File.ReadAllText(path));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the first segment of this timeline may begin with pages of <paramref name="pageTimeline"/>: at a
    /// promotion inside a segment PostgreSQL copies the old timeline's segment up to the switch point into the new
    /// timeline's first segment, page headers included. True only for that one segment, and only for an ancestor
    /// that was still being written in it.
    /// </summary>
    public bool AllowsOlderPagesIn(ulong segmentNumber, long segmentSize, uint pageTimeline)
    {
        if (BranchPoint is not { } branch || branch / (ulong)segmentSize != segmentNumber || branch % (ulong)segmentSize == 0)
        {
            return false;
        }
        return Ancestors.Any(a => a.Timeline == pageTimeline && a.SwitchPoint / (ulong)segmentSize >= segmentNumber);
    }
}
