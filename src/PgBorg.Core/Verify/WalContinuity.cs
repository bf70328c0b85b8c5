using System.Globalization;
using PgBorg.Archiving;

namespace PgBorg.Verify;

/// <summary>
/// Whether a cycle's stored WAL replays from its base's start segment to where the next cycle takes over (the stop
/// segment of the next complete base: until then only this cycle restores those moments), or to its newest stored
/// segment, with a history file for every timeline it switches to. Names only, from the batches' metadata.
/// </summary>
public static class WalContinuity
{
    /// <param name="takeover">The stop segment of the next complete cycle's base; null for the newest complete cycle.</param>
    public static void Check(StoredCycle cycle, string? takeover, VerifyFindings findings)
    {
        var b = cycle.Base ?? throw new ArgumentException($"cycle {cycle.Stamp} has no base metadata", nameof(cycle));
        var size = b.WalSegmentSize;
        var files = cycle.WalFiles;
        var segments = new Dictionary<uint, HashSet<ulong>>();
        var partials = new Dictionary<uint, ulong>();
        foreach (var f in files)
        {
            var kind = WalFileName.Classify(f);
            if (kind is not (WalFileKind.Segment or WalFileKind.PartialSegment) || WalFileName.Timeline(f) < b.Timeline)
            {
                continue; // WAL of an older timeline spooled before the base started is not replayed from it
            }
            var tli = WalFileName.Timeline(f);
            var number = WalFileName.SegmentNumber(f[..24], size);
            if (kind == WalFileKind.Segment)
            {
                (segments.TryGetValue(tli, out var set) ? set : segments[tli] = []).Add(number);
            }
            else
            {
                partials[tli] = partials.TryGetValue(tli, out var p) ? Math.Min(p, number) : number;
            }
        }
        var timelines = segments.Keys.Concat(partials.Keys).Append(b.Timeline).Distinct().Order().ToList();
        var start = WalFileName.SegmentNumber(b.StartWalFile, size);
        var end = new[] { WalFileName.SegmentNumber(b.StopWalFile, size), takeover is null ? 0 : WalFileName.SegmentNumber(takeover, size) }
            .Concat(segments.Values.SelectMany(s => s)).Max();

        // Each timeline replays from where it begins to just before the next one begins. A promotion inside a
        // segment leaves the parent's last segment as .partial and the child's first segment holds it whole, so the
        // child begins at the partial's segment; without one, at the child's first stored segment.
        var begins = new List<ulong> { start };
        for (var i = 1; i < timelines.Count; i++)
        {
            var own = segments.TryGetValue(timelines[i], out var s) ? s.Cast<ulong?>().Min() : null;
            var atPartial = partials.TryGetValue(timelines[i - 1], out var p) ? p : (ulong?)null;
            var first = new[] { own, atPartial }.Where(x => x is not null).Min() ?? begins[^1];
            begins.Add(Math.Max(first, begins[^1]));
        }
        for (var i = 0; i < timelines.Count; i++)
        {
            var tli = timelines[i];
            var to = i + 1 < timelines.Count ? begins[i + 1] - 1 : end;
            var have = segments.GetValueOrDefault(tli) ?? [];
            foreach (var (from, last) in MissingRanges(have, begins[i], to))
            {
                findings.Problems.Add(VerifyProblem.Wal(cycle.Stamp, WalFileName.Of(tli, from, size), WalFileName.Of(tli, last, size),
                    string.Create(CultureInfo.InvariantCulture, $"missing (timeline {tli})")));
            }
            var history = string.Create(CultureInfo.InvariantCulture, $"{tli:X8}.history");
            if (tli > b.Timeline && !files.Contains(history))
            {
                var stored = have.Count > 0 ? have : [begins[i]];
                findings.Problems.Add(VerifyProblem.Wal(cycle.Stamp, WalFileName.Of(tli, stored.Min(), size), WalFileName.Of(tli, stored.Max(), size),
                    string.Create(CultureInfo.InvariantCulture, $"is on timeline {tli}, whose history file {history} is missing")));
            }
        }
    }

    /// <summary>The stretches of segment numbers from <paramref name="from"/> to <paramref name="to"/> that <paramref name="have"/> lacks.</summary>
    internal static IEnumerable<(ulong From, ulong To)> MissingRanges(IReadOnlySet<ulong> have, ulong from, ulong to)
    {
        ulong? open = null;
        for (var s = from; s <= to && to != ulong.MaxValue; s++)
        {
            if (!have.Contains(s))
            {
                open ??= s;
            }
            else if (open is { } o)
            {
                yield return (o, s - 1);
                open = null;
            }
        }
        if (open is { } left)
        {
            yield return (left, to);
        }
    }
}
