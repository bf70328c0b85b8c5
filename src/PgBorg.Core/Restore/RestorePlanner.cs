using System.Globalization;
using PgBorg.Archiving;
using PgBorg.Dumps;
using PgBorg.RestorePoints;

namespace PgBorg.Restore;

/// <summary>
/// Chooses the base for a target — the newest complete base that ended before it — and checks that the cycle's WAL
/// has no gap from the base's start to the target. Choosing reads archive names and comments only. With the WAL
/// index (<see cref="WalIndexView"/>, read for <c>--time</c> and for a restore point pgbuptool did not record), a
/// target outside the archive is refused (exit 3) before anything is extracted.
/// </summary>
public static class RestorePlanner
{
    public static RestorePlan Plan(IReadOnlyList<StoredCycle> cycles, IReadOnlyList<RestorePointMetadata> points, RestoreTarget target, string action, string walFetchCommand,
        WalIndexView? index = null)
    {
        var (chosen, note) = Choose(cycles, points, target, index);
        var b = chosen.Base!;
        var files = chosen.WalFiles;
        var segments = files.Where(f => WalFileName.Classify(f) == WalFileKind.Segment).ToList();
        var lastWal = target.Kind == TargetKind.Lsn
            ? WalFileName.ForLsn(b.Timeline, WalFileName.FormatLsn(target.Lsn!.Value), b.WalSegmentSize)
            : segments.LastOrDefault() ?? b.StopWalFile;
        CheckNoGap(files, b, lastWal);
        CheckNewerTimelinesFollowable(files, b);
        var newestWal = chosen.WalBatches.Select(w => w.Metadata?.CreatedAt).Max();
        if (target.Kind == TargetKind.Time && index?.NewestCommit is null && newestWal is { } stored && target.Time!.Value > stored)
        {
            note = Join(note,
                $"the newest WAL in the archive was stored at {stored.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC: if nothing was committed after that before the target, fine; "
                + "otherwise recovery ends before the target and PostgreSQL stops ('recovery ended before configured recovery target was reached') — let pgcad archive first");
        }
        var settings = new Dictionary<string, string>
        {
            ["restore_command"] = walFetchCommand,
            ["recovery_target_timeline"] = "latest",
        };
        switch (target.Kind)
        {
            case TargetKind.Time:
                settings["recovery_target_time"] = target.Time!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";
                break;
            case TargetKind.RestorePoint:
                settings["recovery_target_name"] = target.Name!;
                break;
            case TargetKind.Lsn:
                settings["recovery_target_lsn"] = WalFileName.FormatLsn(target.Lsn!.Value);
                break;
            case TargetKind.Xid:
                // PostgreSQL compares the 32-bit id of each commit record with the target: the epoch plays no part
                settings["recovery_target_xid"] = ((uint)target.Xid!.Value).ToString(CultureInfo.InvariantCulture);
                break;
        }
        if (target.Kind != TargetKind.Latest)
        {
            settings["recovery_target_action"] = action;
        }
        return new RestorePlan(target, chosen, b, b.StartWalFile, lastWal, chosen.WalBatches.Select(w => w.Archive).ToList(), settings, note);
    }

    /// <summary>
    /// The cycle a target restores from: the newest complete base that ended before the target, chosen from base
    /// metadata (and, given <paramref name="index"/>, the WAL index), so a caller reads the WAL archives' comments of
    /// that one cycle only when the target needs no index.
    /// </summary>
    public static (StoredCycle Cycle, string? Note) Choose(IReadOnlyList<StoredCycle> cycles, IReadOnlyList<RestorePointMetadata> points, RestoreTarget target,
        WalIndexView? index = null)
    {
        var complete = cycles.Where(c => c.IsComplete).OrderBy(c => c.Stamp, StringComparer.Ordinal).ToList();
        if (complete.Count == 0)
        {
            throw new NotFoundException("the archive holds no complete base backup for this instance" + (cycles.Count > 0 ? $" ({cycles.Count} incomplete cycle(s))" : ""));
        }
        ulong? pointLsn = null;
        Func<BaseMetadata, bool> usable = target.Kind switch
        {
            TargetKind.Latest => _ => true,
            TargetKind.Time => b => b.StoppedAt < target.Time!.Value,
            TargetKind.Lsn => b => WalFileName.ParseLsn(b.StopLsn) <= target.Lsn!.Value,
            TargetKind.Xid => b => XidAfterStart(b, target.Xid!.Value),
            _ => b => pointLsn is not { } lsn || WalFileName.ParseLsn(b.StopLsn) <= lsn,
        };
        // what the index could not check bounds what a time target's checks prove (info reports it on its own line)
        var note = target.Kind == TargetKind.Time ? index?.Unchecked : null;
        if (target.Kind == TargetKind.RestorePoint)
        {
            (pointLsn, note) = FindPoint(points, target.Name!, index, complete[0].Base!);
            if (pointLsn is null)
            {
                complete = [complete[0]];
            }
        }
        if (target.Kind == TargetKind.Time && index?.NewestCommit is { } newest && target.Time!.Value > newest.Time)
        {
            throw new NotFoundException($"nothing was archived to reach {target}: the newest archived commit is at {RecoverableWindow.Format(newest.Time)} UTC "
                + $"(LSN {newest.Lsn}); {index.WindowText}. WAL still in pg_wal or in pgcad's spool is not in the archive yet");
        }
        var chosen = complete.LastOrDefault(c => usable(c.Base!))
            ?? throw new NotFoundException($"no base backup ended before {target}; the oldest ended at {complete[0].Base!.StoppedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (LSN {complete[0].Base!.StopLsn})"
                + (target.Kind == TargetKind.Xid ? " and transaction ids from that base on can be targeted" : "")
                + (target.Kind == TargetKind.Time && index is not null ? "; " + index.WindowText : ""));
        return (chosen, note);
    }

    /// <summary>How many known points an error lists: the newest.</summary>
    private const int ListedPoints = 20;

    /// <summary>
    /// The LSN of restore point <paramref name="name"/>: pgbuptool's record, else the newest such record the WAL index
    /// found. Null (restore from the oldest base, which reaches any point made after it) when the index is missing for
    /// some segments, which might hold it; an exception (exit 3) listing the known points when every segment is indexed.
    /// </summary>
    private static (ulong? Lsn, string? Note) FindPoint(IReadOnlyList<RestorePointMetadata> points, string name, WalIndexView? index, BaseMetadata oldest)
    {
        if (points.LastOrDefault(p => p.Name == name) is { } recorded)
        {
            return (WalFileName.ParseLsn(recorded.Lsn), null);
        }
        var found = index?.Points.Where(p => p.Name == name).ToList() ?? [];
        if (found.Count > 0)
        {
            // PostgreSQL stops at the first record of that name it replays: an older one after the chosen base comes first
            return (WalFileName.ParseLsn(found[^1].Lsn), found.Count > 1
                ? $"{found.Count} restore points are named {name}; targeting the newest (LSN {found[^1].Lsn}), "
                  + "recovery stops at the first one after the chosen base"
                : null);
        }
        if (index is null || index.UnindexedSegments > 0)
        {
            return (null, $"restore point {name} is not recorded by pgbuptool nor found in the indexed WAL; using the oldest complete base, which reaches it "
                + $"if it was created after {oldest.StoppedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" + (index?.Unchecked is { } u ? $" ({u})" : ""));
        }
        var known = index.Points;
        throw new NotFoundException($"restore point {name} is not in the archive (neither recorded by pgbuptool nor found in the archived WAL); "
            + (known.Count == 0 ? "the archive holds no restore point"
                : $"known restore points{(known.Count > ListedPoints ? $" (the newest {ListedPoints} of {known.Count})" : "")}:\n  "
                  + string.Join("\n  ", known.TakeLast(ListedPoints))));
    }

    private static string Join(string? note, string more) => note is null ? more : note + "; " + more;

    /// <summary>
    /// A base can replay up to the commit of transaction X only if X had not finished when the base started: X is at
    /// or beyond the snapshot's xmax, or in its list of running transactions. The snapshot is epoch-qualified (64-bit);
    /// a 32-bit X is first widened to the epoch that puts it nearest the snapshot's xmax.
    /// </summary>
    internal static bool XidAfterStart(BaseMetadata b, ulong xid)
    {
        if (b.StartSnapshot is not { } snapshot)
        {
            return false;
        }
        var parts = snapshot.Split(':');
        var xmax = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
        var running = parts.Length > 2 && parts[2].Length > 0 ? parts[2].Split(',').Select(x => ulong.Parse(x, CultureInfo.InvariantCulture)) : [];
        var full = xid > uint.MaxValue ? xid : Widen((uint)xid, xmax);
        return full >= xmax || running.Contains(full);
    }

    /// <summary>
    /// The 64-bit id of a 32-bit transaction id, taken within 2^31 transactions of <paramref name="reference"/> —
    /// as PostgreSQL itself reads a 32-bit id relative to the next one. In epoch 0 nothing lies before 0.
    /// </summary>
    internal static ulong Widen(uint xid, ulong reference)
    {
        var distance = (int)(xid - (uint)reference);
        return distance < 0 && (ulong)(-(long)distance) > reference ? xid : (ulong)((long)reference + distance);
    }

    /// <summary>
    /// Recovery follows the newest timeline (<c>recovery_target_timeline = 'latest'</c>), and PostgreSQL refuses at
    /// start-up a timeline that forked off before the base's checkpoint ("requested timeline is not a child of this
    /// server's history"). Such a fork shows before the base's start segment as a newer timeline's segment, or as the
    /// base timeline's <c>.partial</c> segment (PostgreSQL archives the old timeline's last segment under that name at
    /// promotion): the window between a promotion and pgcad's next round, which takes a base on the new timeline.
    /// </summary>
    private static void CheckNewerTimelinesFollowable(SortedSet<string> files, BaseMetadata b)
    {
        var start = WalFileName.SegmentNumber(b.StartWalFile, b.WalSegmentSize);
        var early = files.Where(f => WalFileName.Classify(f) switch
            {
                WalFileKind.Segment => WalFileName.Timeline(f) > b.Timeline,
                WalFileKind.PartialSegment => WalFileName.Timeline(f) == b.Timeline,
                _ => false,
            } && WalFileName.SegmentNumber(f[..24], b.WalSegmentSize) < start).Order(StringComparer.Ordinal).FirstOrDefault();
        if (early is not null)
        {
            throw new UnsafeException($"a newer timeline forked off before the base of cycle {b.Cycle} began ({early} precedes {b.StartWalFile}), "
                + "so PostgreSQL cannot follow it from that base: let pgcad take a base on the new timeline (its next round does), or restore from the older cycle with an earlier target");
        }
    }

    /// <summary>Every segment from the base's start to <paramref name="lastWal"/> must be in the cycle, on the base's timeline or a later one.</summary>
    private static void CheckNoGap(SortedSet<string> files, BaseMetadata b, string lastWal)
    {
        var have = files.Where(f => WalFileName.Classify(f) == WalFileKind.Segment && WalFileName.Timeline(f) >= b.Timeline)
            .Select(f => WalFileName.SegmentNumber(f, b.WalSegmentSize)).ToHashSet();
        var from = WalFileName.SegmentNumber(b.StartWalFile, b.WalSegmentSize);
        var to = WalFileName.SegmentNumber(lastWal, b.WalSegmentSize);
        var missing = new List<string>();
        for (var s = from; s <= to; s++)
        {
            if (!have.Contains(s))
            {
                missing.Add(WalFileName.Of(b.Timeline, s, b.WalSegmentSize));
            }
        }
        if (missing.Count > 0)
        {
            throw new UnsafeException($"WAL gap between the base of cycle {b.Cycle} and the target: missing {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? $" and {missing.Count - 10} more" : "")}");
        }
    }
}
