using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// Deletes whole cycles: keeps the newest <c>keep_cycles</c> complete cycles and every complete cycle needed to restore
/// to any moment within <c>keep_within</c> (those whose base ended inside the window, and the newest one whose base
/// ended before it), and never the newest complete one. Cycles without a complete base whose spool is gone
/// (failed starts) are deleted too. Cycles with a spool here are never touched. Then <c>borg compact</c> of both
/// repositories, unless append-only, which is reported instead of pretending space was freed. <paramref name="heartbeat"/>
/// is called while Borg deletes and compacts (it feeds the systemd watchdog).
/// </summary>
public sealed class Expiry(BorgRepository repo, BorgRepository walRepo, PgInstance instance, ArchiveSettings settings, ILogger log, Action? heartbeat = null)
{
    private readonly Dictionary<string, bool> _appendOnly = new(StringComparer.Ordinal);
    private DateTime _last = DateTime.MinValue;

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

    /// <summary>
    /// Deletes the expired cycles — each one's base and tablespaces first (so an interrupted run never leaves a base
    /// without its WAL), then its WAL — and compacts both repositories: the WAL repository also holds the batches
    /// that consolidation replaced. Returns how many cycles expired.
    /// </summary>
    public async Task<int> RunAsync(CycleBook book, RepositoryGates gates, CancellationToken ct)
    {
        _last = DateTime.UtcNow;
        var spooled = SpoolDirectory.Cycles(instance.DataDirectory).ToHashSet(StringComparer.Ordinal);
        var expired = Select(book.Cycles, spooled, settings.KeepCycles, settings.KeepWithin, DateTimeOffset.UtcNow);
        _compactionOwed |= expired.Count > 0;
        foreach (var cycle in expired)
        {
            var archives = cycle.ArchiveRepositoryArchives.ToList();
            var wal = cycle.WalRepositoryArchives.ToList();
            await gates.WithArchiveAsync(() => repo.DeleteAsync(archives, ct, heartbeat), ct).ConfigureAwait(false);
            book.Forget(archives, walRepository: false);
            await gates.WithWalAsync(() => walRepo.DeleteAsync(wal, ct, heartbeat), ct).ConfigureAwait(false);
            book.Remove(cycle);
            Log.CycleExpired(log, instance.Name, cycle.Stamp, archives.Count + wal.Count);
        }
        if (_compactionOwed)
        {
            await gates.WithArchiveAsync(() => CompactAsync(repo, expired.Count, ct), ct).ConfigureAwait(false);
            _compactionOwed = false;
        }
        await gates.WithWalAsync(() => CompactAsync(walRepo, expired.Count, ct), ct).ConfigureAwait(false);
        return expired.Count;
    }

    /// <summary>borg compact, unless the repository is append-only: that is reported instead of pretending space was freed.</summary>
    private async Task CompactAsync(BorgRepository repository, int expired, CancellationToken ct)
    {
        if (!_appendOnly.TryGetValue(repository.Location, out var appendOnly))
        {
            _appendOnly[repository.Location] = appendOnly = await repository.IsAppendOnlyAsync(ct).ConfigureAwait(false);
        }
        if (appendOnly)
        {
            if (expired > 0)
            {
                Log.AppendOnly(log, repository.Location);
            }
            return;
        }
        Log.Compacting(log, instance.Name, repository.Location, expired);
        await repository.CompactAsync(ct, heartbeat).ConfigureAwait(false);
    }
}
