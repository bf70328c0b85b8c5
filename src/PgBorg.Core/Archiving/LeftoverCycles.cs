using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Naming;
using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// What a failed cycle left when its abandonment was itself cut short (pgcad killed, a repository away, a connection
/// cut): WAL archives, and maybe an incomplete base and its tablespaces, of a cycle that will never be complete.
/// Each cycle round deletes them, so they do not wait for expiry's next run, and verify names them as leftovers
/// rather than as cycles missing a base.
/// </summary>
public sealed class LeftoverCycles(BorgRepository repo, BorgRepository walRepo, string host, PgInstance instance, ILogger log, Action? heartbeat = null)
{
    /// <summary>
    /// The cycles pgcad may delete. A cycle becomes complete only inside the one base attempt that named it, and that
    /// attempt keeps the cycle's spool from before anything of the cycle is stored until it ends (success keeps the
    /// spool; a failure removes it before deleting the archives). Stamps are never reused, one pgcad runs per state
    /// directory (its lock), and its cycle loop runs this and the base attempts one after the other. So a cycle
    /// without a complete base and without a spool here can never become complete, even the newest one. One whose WAL
    /// is not all held by a complete neighbour is left alone all the same: restores read only their own cycle's WAL,
    /// but what no complete cycle holds is not deleted on that argument alone.
    /// </summary>
    public static IReadOnlyList<StoredCycle> Select(IReadOnlyList<StoredCycle> stored, IReadOnlySet<string> spooled) =>
        stored.Where(c => !c.IsComplete && !spooled.Contains(c.Stamp) && WalHeldByNeighbour(c, stored)).ToList();

    /// <summary>
    /// True when every WAL file of <paramref name="cycle"/> is also stored in the complete cycle just before it or
    /// the one just after it (cycles overlap: every active spool receives every WAL file). A batch whose comment
    /// could not be read has unknown files: then this cannot be shown, and the answer is false.
    /// </summary>
    public static bool WalHeldByNeighbour(StoredCycle cycle, IReadOnlyList<StoredCycle> cycles)
    {
        if (cycle.WalBatches.Any(w => w.Metadata is null))
        {
            return false;
        }
        var complete = cycles.Where(c => c.IsComplete).OrderBy(c => c.Stamp, StringComparer.Ordinal).ToList();
        var previous = complete.LastOrDefault(c => string.CompareOrdinal(c.Stamp, cycle.Stamp) < 0);
        var next = complete.FirstOrDefault(c => string.CompareOrdinal(c.Stamp, cycle.Stamp) > 0);
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var neighbour in new[] { previous, next }.OfType<StoredCycle>())
        {
            held.UnionWith(neighbour.WalBatches.SelectMany(w => w.Files));
        }
        return cycle.WalFiles.All(held.Contains);
    }

    /// <summary>
    /// Deletes every leftover cycle; returns how many. No ingest adds to one meanwhile: the WAL loop ingests only
    /// spools, and a spool is only ever made for a new stamp, by this cycle loop.
    /// </summary>
    public async Task<int> RunAsync(CycleBook book, RepositoryGates gates, CancellationToken ct)
    {
        var deleted = 0;
        foreach (var cycle in Select(book.Cycles, SpoolDirectory.Cycles(instance.DataDirectory).ToHashSet(StringComparer.Ordinal)))
        {
            var count = await DeleteAsync(cycle.Stamp, book, gates, ct).ConfigureAwait(false);
            Log.LeftoverCycleDeleted(log, instance.Name, cycle.Stamp, count);
            deleted++;
        }
        return deleted;
    }

    /// <summary>
    /// Deletes a failed cycle's archives (Borg deletes at most 1000 names per call): its WAL from the book, then what
    /// the base left in the archive repository, looked up by name (a base that failed before it was recorded is not in
    /// the book). Returns how many archives went. Abandoning a cycle whose base just failed does the same once its spool is gone.
    /// </summary>
    public async Task<int> DeleteAsync(string cycle, CycleBook book, RepositoryGates gates, CancellationToken ct)
    {
        var wal = book.Get(cycle)?.WalRepositoryArchives.ToList() ?? [];
        await gates.WithWalAsync(() => walRepo.DeleteAsync(wal, ct, heartbeat), ct).ConfigureAwait(false);
        book.Forget(wal, walRepository: true);
        var left = await gates.WithArchiveAsync(async () =>
        {
            var glob = $"{ArchiveName.InstanceGlob(host, instance.Name)}{ArchiveName.Separator}{cycle}";
            var names = (await repo.ListAsync(glob, ct, considerCheckpoints: true, comments: false).ConfigureAwait(false))
                .Select(a => a.Name).Where(IsCycleArchive).ToList();
            await repo.DeleteAsync(names, ct, heartbeat).ConfigureAwait(false);
            return names;
        }, ct).ConfigureAwait(false);
        book.Forget(left, walRepository: false);
        if (book.Get(cycle) is { } rest)
        {
            book.Remove(rest);
        }
        return wal.Count + left.Count;
    }

    /// <summary>A base, tablespace or WAL archive (or its checkpoint): not a dump or restore point that shares the repository and the stamp.</summary>
    private static bool IsCycleArchive(string name) =>
        ArchiveName.TryParse(name.EndsWith(".checkpoint", StringComparison.Ordinal) ? name[..^".checkpoint".Length] : name, out var n)
        && n.Kind is ArchiveName.BaseKind or ArchiveName.TablespaceKind or ArchiveName.WalKind;
}
