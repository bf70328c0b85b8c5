using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// Keeps the WAL repository's archive count bounded: after each window (<c>wal_consolidation</c>, aligned to UTC), the
/// batches of a spool become one archive of the files in its <c>.stored/</c>, and the batches go.
/// Borg 1.2 cannot merge archives, but one larger <c>borg create</c> over files still on disk stores nothing new
/// (every chunk is already in the repository) and reads only local disk.
/// <para>
/// Steps, each safe to interrupt (a <c>kill -9</c> anywhere loses nothing and the next round finishes the job):
/// 1. find an archive that already holds every stored file (a consolidation interrupted after its commit, or a
/// window of a single batch), verified item by item, else create one and check Borg stored every file;
/// 2. delete the other WAL archives of the cycle whose files that archive holds;
/// 3. delete the stored files. Until 3, a restore finds each file in at least one archive.
/// </para>
/// </summary>
public sealed class WalConsolidation(BorgRepository walRepo, string host, PgInstance instance, CycleBook book, TimeSpan window, ILogger log)
{
    /// <summary>
    /// At most this many files wait in <c>.stored/</c>, whatever the window: the local disk a spool holds beyond the
    /// WAL not yet in Borg is at most this many segments (8 GiB of 16 MiB segments), and one consolidated archive
    /// stays within <see cref="WalIngest.MaxBatch"/> files.
    /// </summary>
    public const int MaxStoredFiles = WalIngest.MaxBatch;

    /// <summary>True when the spool's stored files should be consolidated now: the oldest was stored in an earlier window, or there are enough.</summary>
    public bool Due(string cycle, DateTimeOffset now)
    {
        var files = SpoolDirectory.StoredFiles(instance.DataDirectory, cycle);
        if (files.Count == 0)
        {
            return false;
        }
        if (files.Count >= MaxStoredFiles)
        {
            return true;
        }
        // a file's mtime is when it was written, into the spool or into pg_wal: close enough to when it was archived
        var dir = SpoolDirectory.StoredDirectory(instance.DataDirectory, cycle);
        var oldest = files.Min(f => new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(dir, f))));
        return WindowOf(oldest) < WindowOf(now);
    }

    private long WindowOf(DateTimeOffset t) => t.ToUnixTimeSeconds() / Math.Max(1, (long)window.TotalSeconds);

    /// <summary>
    /// Consolidates the spool's stored files (at most <see cref="MaxStoredFiles"/> per archive, fewer when their index
    /// fills the comment); every window's batches end up in one archive or a few.
    /// </summary>
    public async Task ConsolidateAsync(string cycle, CancellationToken ct, Action? progress = null)
    {
        var dir = SpoolDirectory.StoredDirectory(instance.DataDirectory, cycle);
        var all = SpoolDirectory.StoredFiles(instance.DataDirectory, cycle);
        for (var i = 0; i < all.Count;)
        {
            var entries = await EntriesAsync(cycle, dir, [.. all.Skip(i).Take(MaxStoredFiles)], ct).ConfigureAwait(false);
            var description = WalBatchDescriber.Describe(host, instance, cycle, entries, MaxStoredFiles);
            var files = description.Metadata.Files.ToArray();
            i += files.Length;
            var set = files.ToHashSet(StringComparer.Ordinal);
            var cover = await CoverAsync(cycle, dir, files, set, description, ct).ConfigureAwait(false);
            FaultInjection.Point("consolidate-after-create");
            var replaced = (book.Get(cycle)?.WalBatches ?? [])
                .Where(w => w.InWalRepository && w.Archive != cover.Archive && w.Metadata is not null && w.Files.All(cover.Covered.Contains))
                .Select(w => w.Archive).ToList();
            if (replaced.Count > 0)
            {
                await walRepo.DeleteAsync(replaced, ct, progress).ConfigureAwait(false);
                book.Forget(replaced, walRepository: true);
            }
            FaultInjection.Point("consolidate-after-delete");
            foreach (var f in files)
            {
                File.Delete(Path.Combine(dir, f));
            }
            Processes.Durability.FsyncDirectory(dir);
            Log.WalConsolidated(log, instance.Name, files.Length, files[0], files[^1], cycle, cover.Archive, replaced.Count);
        }
    }

    /// <summary>
    /// The index entries of stored files, carried over from the batches that hold them; the files of batches stored
    /// before the index existed are indexed now (they are still on disk).
    /// </summary>
    private async Task<List<WalSegmentIndex>> EntriesAsync(string cycle, string dir, string[] files, CancellationToken ct)
    {
        var known = new Dictionary<string, WalSegmentIndex>(StringComparer.Ordinal);
        foreach (var e in (book.Get(cycle)?.WalBatches ?? []).SelectMany(w => w.Metadata?.Segments ?? []))
        {
            known.TryAdd(e.File, e);
        }
        var missing = files.Where(f => !known.ContainsKey(f)).ToList();
        if (missing.Count > 0)
        {
            foreach (var (f, e) in await new WalIndexer(instance, log).IndexAsync(dir, missing, ct).ConfigureAwait(false))
            {
                known[f] = e;
            }
        }
        return [.. files.Select(f => known[f])];
    }

    /// <summary>
    /// An archive holding every one of <paramref name="files"/>: one already in the book (verified against the files
    /// on disk, since a crash may have cut it short before its file count was checked), else a new one.
    /// </summary>
    private async Task<(string Archive, HashSet<string> Covered)> CoverAsync(string cycle, string dir, string[] files, HashSet<string> set,
        WalBatchDescriber.Description description, CancellationToken ct)
    {
        var existing = (book.Get(cycle)?.WalBatches ?? [])
            .Where(w => w.InWalRepository && w.Metadata is not null && set.IsSubsetOf(w.Files))
            .OrderByDescending(w => w.Files.Count).FirstOrDefault();
        if (existing is not null)
        {
            await WalIngest.VerifyAsync(walRepo, existing.Archive, dir, files, ct).ConfigureAwait(false);
            return (existing.Archive, existing.Files.ToHashSet(StringComparer.Ordinal));
        }
        var (name, metadata) = description;
        if (book.HasWalArchive(name))
        {
            // the name is taken by an archive without metadata we could read: it cannot be trusted to cover the files
            throw new InvalidDataException($"cannot consolidate {files.Length} WAL files of cycle {cycle}: an archive named {name} exists without a readable file list");
        }
        await WalIngest.CreateWholeAsync(walRepo, name, dir, files, metadata, "the batches stay", ct).ConfigureAwait(false);
        book.AddWal(cycle, new WalBatch(name, metadata), 0);
        return (name, set);
    }
}
