using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// Deletes whole cycles: keeps the newest <c>keep_cycles</c> complete cycles and every complete cycle needed to restore
/// to any moment within <c>keep_within</c> (those whose base ended inside the window, and the newest one whose base
/// ended before it), and never the newest complete one. Cycles without a complete base whose spool is gone
/// (failed starts) are deleted too. Cycles with a spool here are never touched. Then <c>borg compact</c>, unless the
/// repository is append-only, which is reported instead of pretending space was freed. <paramref name="heartbeat"/>
/// is called while Borg deletes and compacts (it feeds the systemd watchdog).
/// </summary>
public sealed class Expiry(BorgRepository repo, PgInstance instance, ArchiveSettings settings, ILogger log, Action? heartbeat = null)
{
    private DateTime _last = DateTime.MinValue;
    private bool? _appendOnly;

    // Owed at start: deletes made just before a crash or restart (by this program or by hand) are only freed by a
    // compaction, and the deleted cycles are no longer listed, so the first run compacts even with nothing to delete.
    private bool _compactionOwed = true;

    public bool Due => DateTime.UtcNow - _last > TimeSpan.FromHours(1);

    public static IReadOnlyList<StoredCycle> Select(IReadOnlyList<StoredCycle> stored, IReadOnlySet<string> spooled, int keepCycles, TimeSpan keepWithin, DateTimeOffset now)
    {
        var complete = stored.Where(c => c.IsComplete).OrderBy(c => c.Stamp, StringComparer.Ordinal).ToList();
        if (complete.Count == 0)
        {
            return [];
        }
        var keep = new HashSet<string>(complete.TakeLast(Math.Max(1, keepCycles)).Select(c => c.Stamp), StringComparer.Ordinal);
        // A moment early in the window restores from a base that ended before the window began (and that cycle's WAL),
        // so the window keeps the newest such base too, as pgBackRest's time-based retention does.
        var windowStart = now - keepWithin;
        keep.UnionWith(complete.Where(c => c.Base!.StoppedAt > windowStart).Select(c => c.Stamp));
        if (complete.LastOrDefault(c => c.Base!.StoppedAt <= windowStart) is { } before)
        {
            keep.Add(before.Stamp);
        }
        var newestComplete = complete[^1].Stamp;
        return stored.Where(c => !keep.Contains(c.Stamp) && !spooled.Contains(c.Stamp)
                && (c.IsComplete || string.CompareOrdinal(c.Stamp, newestComplete) < 0))
            .ToList();
    }

    /// <summary>Deletes the expired cycles; returns them.</summary>
    public async Task<IReadOnlyList<StoredCycle>> RunAsync(IReadOnlyList<StoredCycle> stored, CancellationToken ct)
    {
        _last = DateTime.UtcNow;
        var spooled = SpoolDirectory.Cycles(instance.DataDirectory).ToHashSet(StringComparer.Ordinal);
        var expired = Select(stored, spooled, settings.KeepCycles, settings.KeepWithin, DateTimeOffset.UtcNow);
        if (expired.Count == 0 && !_compactionOwed)
        {
            return [];
        }
        _compactionOwed |= expired.Count > 0;
        foreach (var cycle in expired)
        {
            var archives = cycle.AllArchives.ToList();
            await repo.DeleteAsync(archives, ct, heartbeat).ConfigureAwait(false);
            Log.CycleExpired(log, instance.Name, cycle.Stamp, archives.Count);
        }
        _appendOnly ??= await repo.IsAppendOnlyAsync(ct).ConfigureAwait(false);
        if (_appendOnly.Value)
        {
            if (expired.Count > 0)
            {
                Log.AppendOnly(log, repo.Location);
            }
            _compactionOwed = false;
            return expired;
        }
        Log.Compacting(log, instance.Name, repo.Location, expired.Count);
        await repo.CompactAsync(ct, heartbeat).ConfigureAwait(false);
        _compactionOwed = false;
        return expired;
    }
}
