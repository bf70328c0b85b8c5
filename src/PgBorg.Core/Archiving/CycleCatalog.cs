using PgBorg.Borg;
using PgBorg.Naming;

namespace PgBorg.Archiving;

/// <summary>
/// The cycles of one instance, read from archive names and comments only: one <c>borg list</c> of the archive
/// repository (bases, tablespaces, and WAL archived before WAL had a repository of its own) and one of the WAL repository.
/// </summary>
public static class CycleCatalog
{
    public static async Task<IReadOnlyList<StoredCycle>> ReadAsync(ArchiveRepositories repos, string host, string instance, CancellationToken ct)
    {
        var glob = ArchiveName.InstanceGlob(host, instance);
        var archives = await repos.Archive.ListAsync(glob, ct).ConfigureAwait(false);
        if (repos.Shared)
        {
            return Build([], archives, host, instance, basesFromWalListing: true);
        }
        var wal = await ListWalAsync(repos.Wal, glob, ct).ConfigureAwait(false);
        return Build(archives, wal, host, instance);
    }

    /// <summary>The WAL repository's archives; none when it does not exist yet (nothing was archived since it was introduced).</summary>
    /// <param name="names">The WAL repository's names, listed already (<see cref="BorgRepository.ListAsync"/>).</param>
    public static async Task<IReadOnlyList<BorgArchiveEntry>> ListWalAsync(BorgRepository walRepo, string glob, CancellationToken ct,
        bool considerCheckpoints = false, bool comments = true, bool cacheComments = true, IReadOnlyList<BorgArchiveEntry>? names = null)
    {
        try
        {
            return await walRepo.ListAsync(glob, ct, considerCheckpoints, comments, cacheComments, names).ConfigureAwait(false);
        }
        catch (BorgException e) when (e.MsgId == "Repository.DoesNotExist")
        {
            return [];
        }
    }

    /// <param name="basesFromWalListing">wal_repository is the archive repository itself: one listing holds everything.</param>
    public static IReadOnlyList<StoredCycle> Build(IEnumerable<BorgArchiveEntry> archives, IEnumerable<BorgArchiveEntry> walArchives, string host, string instance,
        bool basesFromWalListing = false)
    {
        var cycles = new SortedDictionary<string, StoredCycle>(StringComparer.Ordinal);
        foreach (var (a, inWalRepository) in archives.Select(a => (a, false)).Concat(walArchives.Select(a => (a, true))))
        {
            if (!ArchiveName.TryParse(a.Name, out var n) || n.IsPartial || n.Host != host || n.Instance != instance)
            {
                continue;
            }
            StoredCycle Cycle() => cycles.TryGetValue(n.Cycle, out var c) ? c : cycles[n.Cycle] = new StoredCycle(n.Cycle);
            switch (n.Kind)
            {
                case ArchiveName.BaseKind when !inWalRepository || basesFromWalListing:
                    Cycle().BaseArchive = a.Name;
                    Cycle().Base = BaseMetadata.TryParse(a.Comment);
                    break;
                case ArchiveName.TablespaceKind when !inWalRepository || basesFromWalListing:
                    Cycle().TablespaceArchives.Add(a.Name);
                    break;
                case ArchiveName.WalKind:
                    Cycle().WalBatches.Add(new WalBatch(a.Name, WalBatchMetadata.TryParse(a.Comment), inWalRepository));
                    break;
            }
        }
        foreach (var c in cycles.Values)
        {
            // WAL order, whichever repository a batch is in. A consolidated archive that starts where the first batch it
            // replaced starts comes after it: each listing is oldest first and the sort keeps the order it is given.
            // Each key is computed once: a batch without its comment parses its name for it, and a cycle can hold 100k.
            var ordered = c.WalBatches.OrderBy(b => b.FirstFile, StringComparer.Ordinal).ToList();
            c.WalBatches.Clear();
            c.WalBatches.AddRange(ordered);
        }
        return cycles.Values.ToList();
    }

    /// <summary>
    /// The cycles whose WAL archives pgcad needs with their comments (the files of each batch and their index): those
    /// it still writes or consolidates (a spool here), those without a complete base (in progress, or failed and to
    /// be removed, whose WAL is compared with the cycle before), the complete cycle before each of them, and the newest
    /// complete one (its timeline, the newest stored segment). Older complete cycles only await expiry, which needs
    /// their names alone: they are most of a long retention's archives.
    /// </summary>
    public static IReadOnlySet<string> WalCommentsNeeded(IReadOnlyList<StoredCycle> cycles, IEnumerable<string> spooled)
    {
        var needed = new HashSet<string>(spooled, StringComparer.Ordinal);
        StoredCycle? previousComplete = null;
        foreach (var c in cycles.OrderBy(c => c.Stamp, StringComparer.Ordinal))
        {
            if (c.IsComplete)
            {
                previousComplete = c;
                continue;
            }
            needed.Add(c.Stamp);
            if (previousComplete is not null)
            {
                needed.Add(previousComplete.Stamp);
            }
        }
        if (previousComplete is not null)
        {
            needed.Add(previousComplete.Stamp);
        }
        return needed;
    }
}
