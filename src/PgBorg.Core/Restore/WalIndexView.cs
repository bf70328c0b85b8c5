using PgBorg.Archiving;
using PgBorg.RestorePoints;

namespace PgBorg.Restore;

/// <summary>
/// What the WAL index of an instance's stored cycles says (read from the WAL archives' comments): every restore point,
/// the recoverable window per timeline, and how many segments have no index (archived before it existed, or
/// unreadable to pg_waldump), whose restore points and commits are unknown.
/// </summary>
public sealed class WalIndexView
{
    /// <summary>pgbuptool's points and those found in the WAL only, oldest first.</summary>
    public IReadOnlyList<KnownRestorePoint> Points { get; }

    public IReadOnlyList<RecoverableWindow> Windows { get; }

    /// <summary>Segments stored without an index of their records.</summary>
    public int UnindexedSegments { get; }

    /// <summary>The newest archived commit, when no segment after it lacks an index (else nothing can say it is the newest).</summary>
    public WalCommit? NewestCommit { get; }

    private WalIndexView(List<KnownRestorePoint> points, List<RecoverableWindow> windows, int unindexed, WalCommit? newest)
    {
        Points = points;
        Windows = windows;
        UnindexedSegments = unindexed;
        NewestCommit = newest;
    }

    /// <summary>One line saying what could not be checked, or null when every stored segment is indexed.</summary>
    public string? Unchecked => UnindexedSegments == 0 ? null
        : $"{UnindexedSegments} WAL segment(s) have no index (archived before pgborg indexed WAL, or unreadable to pg_waldump): "
          + "their restore points and commit times could not be checked";

    /// <summary>The recoverable window, one timeline after the other, for messages.</summary>
    public string WindowText => Windows.Count == 0 ? "no recoverable window is known (no indexed commit after a complete base)"
        : "recoverable window: " + string.Join("; ", Windows);

    /// <summary>Reads the instance's archive listing and every WAL archive's comment.</summary>
    public static async Task<WalIndexView> ReadAsync(ArchiveRepositories repos, string host, string instance, CancellationToken ct)
    {
        var (cycles, archives) = await repos.CyclesForAsync(host, instance, (_, _) => throw new InvalidOperationException("every comment is read"), ct, _ => true)
            .ConfigureAwait(false);
        return Of(cycles, RestorePointBook.FromListing(archives, host, instance));
    }

    public static WalIndexView Of(IReadOnlyList<StoredCycle> cycles, IReadOnlyList<RestorePointMetadata> recorded)
    {
        var indexed = new Dictionary<string, WalSegmentIndex>(StringComparer.Ordinal);
        var segments = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var batch in cycles.SelectMany(c => c.WalBatches))
        {
            segments.UnionWith(batch.Files.Where(f => WalFileName.Classify(f) == WalFileKind.Segment));
            foreach (var e in batch.Metadata?.Segments ?? [])
            {
                if (e.Unread is null && WalFileName.Classify(e.File) == WalFileKind.Segment)
                {
                    indexed.TryAdd(e.File, e);
                }
            }
        }
        var unindexed = segments.Where(s => !indexed.ContainsKey(s)).ToList();
        var points = MergePoints(indexed.Values.SelectMany(e => e.RestorePoints ?? []), recorded);

        var lastCommit = indexed.Values.Where(e => e.LastCommit is not null).MaxBy(e => e.LastCommit!.Time);
        // a segment after the newest indexed commit that has no index may hold a newer one
        var newest = lastCommit is not null && !unindexed.Any(s => string.CompareOrdinal(s, lastCommit.File) > 0) ? lastCommit.LastCommit : null;
        return new WalIndexView(points, WindowsOf(cycles, indexed.Values), unindexed.Count, newest);
    }

    private static List<RecoverableWindow> WindowsOf(IReadOnlyList<StoredCycle> cycles, IEnumerable<WalSegmentIndex> indexed)
    {
        var oldest = cycles.Where(c => c.IsComplete).OrderBy(c => c.Stamp, StringComparer.Ordinal).FirstOrDefault()?.Base;
        if (oldest is null)
        {
            return [];
        }
        var windows = new List<RecoverableWindow>();
        foreach (var timeline in indexed.Where(e => e.LastCommit is not null).GroupBy(e => WalFileName.Timeline(e.File)).OrderBy(g => g.Key))
        {
            if (timeline.Key < oldest.Timeline)
            {
                continue;
            }
            var last = timeline.Select(e => e.LastCommit!).MaxBy(c => c.Time)!;
            var first = timeline.Select(e => e.FirstCommit!).MinBy(c => c.Time)!;
            var from = timeline.Key == oldest.Timeline || first.Time < oldest.StoppedAt ? oldest.StoppedAt : first.Time;
            windows.Add(new RecoverableWindow(timeline.Key, from, last.Time, last.Lsn));
        }
        return windows;
    }

    /// <summary>
    /// pgbuptool's points, and the WAL's that are not one of them. pgbuptool records the LSN
    /// <c>pg_create_restore_point()</c> returns, the end of the record; the index has its start.
    /// </summary>
    private static List<KnownRestorePoint> MergePoints(IEnumerable<WalRestorePoint> found, IReadOnlyList<RestorePointMetadata> recorded)
    {
        var points = recorded.Select(p => new KnownRestorePoint(p.Name, p.Time, p.Lsn, p.Timeline, KnownRestorePoint.FromPgbuptool)).ToList();
        var seen = new HashSet<(string, string)>();
        foreach (var p in found)
        {
            var start = WalFileName.ParseLsn(p.Lsn);
            var isRecorded = recorded.Any(r => r.Name == p.Name && WalFileName.ParseLsn(r.Lsn) is var end && end > start && end - start <= RecordSpan);
            if (!isRecorded && seen.Add((p.Name, p.Lsn)))
            {
                points.Add(new KnownRestorePoint(p.Name, p.Time, p.Lsn, p.Timeline, KnownRestorePoint.FromWal));
            }
        }
        return [.. points.OrderBy(p => WalFileName.ParseLsn(p.Lsn)).ThenBy(p => p.Time)];
    }

    /// <summary>More than a restore point record's length, page headers included.</summary>
    private const ulong RecordSpan = 1024;
}
