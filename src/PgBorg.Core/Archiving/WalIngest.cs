using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// Moves a spool's WAL into the WAL repository: one archive per batch, named with the batch's first and last file,
/// whose comment lists every file with its index (<see cref="WalIndexer"/>: checksum, restore points, commit times);
/// then moves exactly the files archived into the spool's <c>.stored/</c>, where <see cref="WalConsolidation"/> finds them. A crash at any point loses nothing: the files stay until their archive
/// is committed; after a crash between commit and move, the archive found under the same name is checked file by
/// file before the spooled files move.
/// </summary>
public sealed class WalIngest(BorgRepository walRepo, string host, PgInstance instance, CycleBook book, ILogger log)
{
    /// <summary>At most this many files per archive: 512 × 16 MiB = 8 GiB, and archive counts stay far below Borg's limit.</summary>
    public const int MaxBatch = 512;

    public sealed record Batch(string Archive, WalBatchMetadata Metadata, long CompressedSize)
    {
        public IReadOnlyList<string> Files => Metadata.Files;
    }

    public async Task<IReadOnlyList<Batch>> IngestAsync(string cycle, CancellationToken ct)
    {
        var dir = SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle);
        var files = SpoolDirectory.Files(instance.DataDirectory, cycle);
        var done = new List<Batch>();
        var indexer = new WalIndexer(instance, log);
        var index = new Dictionary<string, WalSegmentIndex>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count;)
        {
            ct.ThrowIfCancellationRequested();
            var candidates = files.Skip(i).Take(MaxBatch).ToList();
            // the files a comment had no room for start the next batch: indexed once
            var fresh = await indexer.IndexAsync(dir, [.. candidates.Where(f => !index.ContainsKey(f))], ct).ConfigureAwait(false);
            foreach (var (f, e) in fresh)
            {
                index[f] = e;
            }
            var (name, metadata) = WalBatchDescriber.Describe(host, instance, cycle, [.. candidates.Select(f => index[f])], MaxBatch);
            var batch = metadata.Files;
            i += batch.Count;
            long compressed = 0;
            if (book.HasWalArchive(name))
            {
                // an archive of this batch exists (a crash after commit): the spooled files move on only if it holds them all
                await VerifyAsync(walRepo, name, dir, batch, ct).ConfigureAwait(false);
            }
            else
            {
                FaultInjection.Point("ingest-before-create");
                var result = await CreateWholeAsync(walRepo, name, dir, batch, metadata, "the spooled files stay for the next round", ct).ConfigureAwait(false);
                compressed = result?.Archive.Stats.CompressedSize ?? 0;
                FaultInjection.Point("ingest-after-create");
            }
            book.AddWal(cycle, new WalBatch(name, metadata), compressed);
            MoveToStored(cycle, dir, batch);
            Log.WalIngested(log, instance.Name, batch.Count, batch[0], batch[^1], name);
            done.Add(new Batch(name, metadata, compressed));
        }
        return done;
    }

    /// <summary>
    /// Stores WAL files as one archive and makes sure Borg stored every one of them: a file Borg could not read makes
    /// it exit 1 with the archive committed but short of that file (and one whose items cannot be listed to count them
    /// is as untrusted). Such an archive is deleted at once, or the next round would find it under the same name and
    /// refuse to move on forever; the files stay where they are (<paramref name="kept"/> says so in the error). When
    /// the name is taken, an earlier create committed and still reported failure (a connection cut after the commit):
    /// that archive is verified to hold every file, and the result is null (its statistics are not known).
    /// </summary>
    internal static async Task<BorgCreateResult?> CreateWholeAsync(BorgRepository walRepo, string name, string dir, IReadOnlyList<string> files,
        WalBatchMetadata metadata, string kept, CancellationToken ct)
    {
        string problem;
        try
        {
            var result = await walRepo.CreateFromPathsAsync(name, dir, files, metadata.ToJson(), ct, filesCache: false).ConfigureAwait(false);
            if (result.Archive.Stats.NFiles == files.Count)
            {
                return result;
            }
            problem = $"borg create stored {result.Archive.Stats.NFiles} of the {files.Count} files of {name}";
        }
        catch (BorgException e) when (e.MsgId == BorgException.ArchiveExistsId)
        {
            await VerifyAsync(walRepo, name, dir, files, ct).ConfigureAwait(false);
            return null;
        }
        catch (BorgArchiveIncompleteException e)
        {
            problem = e.Message;
        }
        await walRepo.DeleteAsync([name], ct).ConfigureAwait(false);
        throw new InvalidDataException($"{problem}; deleted that archive, {kept}");
    }

    /// <summary>
    /// The batch's files are in Borg: into <c>.stored/</c> (a rename in the same directory tree), where they wait for
    /// their window's consolidation. The directory is fsynced so that a crash does not bring them back as new WAL.
    /// </summary>
    private void MoveToStored(string cycle, string dir, IReadOnlyList<string> batch)
    {
        var stored = SpoolDirectory.EnsureStoredDirectory(instance.DataDirectory, cycle, instance.User);
        foreach (var f in batch)
        {
            Processes.Native.Rename(Path.Combine(dir, f), Path.Combine(stored, f));
        }
        Processes.Durability.FsyncDirectory(stored);
        Processes.Durability.FsyncDirectory(dir);
    }

    /// <summary>Throws unless <paramref name="archive"/> holds every one of <paramref name="batch"/> (in <paramref name="dir"/>) with its size.</summary>
    internal static async Task VerifyAsync(BorgRepository walRepo, string archive, string dir, IReadOnlyList<string> batch, CancellationToken ct)
    {
        var items = (await walRepo.ListItemsAsync(archive, ct).ConfigureAwait(false)).ToDictionary(i => i.Path, i => i.Size, StringComparer.Ordinal);
        foreach (var f in batch)
        {
            var size = new FileInfo(Path.Combine(dir, f)).Length;
            if (!items.TryGetValue(f, out var stored) || stored != size)
            {
                throw new InvalidDataException($"archive {archive} exists but does not hold {f} as spooled ({size} bytes); keeping the spooled files");
            }
        }
    }

    /// <summary>Temporary files of wal-push calls that died (PostgreSQL retries under a new name) older than an hour.</summary>
    public static void RemoveStaleTemporaries(string dataDirectory)
    {
        foreach (var cycle in SpoolDirectory.Cycles(dataDirectory))
        {
            foreach (var f in Directory.GetFiles(SpoolDirectory.CycleDirectory(dataDirectory, cycle), ".*.tmp.*"))
            {
                if (File.GetLastWriteTimeUtc(f) < DateTime.UtcNow.AddHours(-1))
                {
                    File.Delete(f);
                }
            }
        }
    }
}
