using PgBorg.Borg;
using PgBorg.Naming;

namespace PgBorg.Archiving;

/// <summary>
/// The one owner of what pgcad knows about an instance's cycles: read from both repositories once at start, then kept
/// up to date by every store and delete this process makes, and by nothing else. The spool directories hold what is
/// not in Borg yet; this book holds what is. The WAL loop and the cycle loop of an instance share it, so every change
/// and every read goes through its lock, and readers get copies.
/// </summary>
public sealed class CycleBook(string host, string instance, CycleSizeStore sizes)
{
    private readonly Lock _lock = new();
    private readonly List<StoredCycle> _cycles = [];
    private readonly HashSet<string> _archiveNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _walNames = new(StringComparer.Ordinal);

    public bool Loaded { get; private set; }

    /// <summary>
    /// Replaces everything with two listings (checkpoints included, they belong to no cycle). When wal_repository is
    /// the archive repository itself, <paramref name="archives"/> is empty and <paramref name="walArchives"/> holds all.
    /// </summary>
    public void Load(IReadOnlyList<BorgArchiveEntry> archives, IReadOnlyList<BorgArchiveEntry> walArchives, bool shared = false)
    {
        lock (_lock)
        {
            _cycles.Clear();
            _cycles.AddRange(CycleCatalog.Build(archives, walArchives, host, instance, basesFromWalListing: shared));
            _archiveNames.Clear();
            _archiveNames.UnionWith(archives.Select(a => a.Name));
            _walNames.Clear();
            _walNames.UnionWith(walArchives.Select(a => a.Name));
            Loaded = true;
        }
    }

    /// <summary>Copies of every cycle, oldest first.</summary>
    public IReadOnlyList<StoredCycle> Cycles
    {
        get
        {
            lock (_lock)
            {
                return _cycles.Select(c => c.Copy()).ToList();
            }
        }
    }

    public StoredCycle? Get(string stamp)
    {
        lock (_lock)
        {
            return _cycles.FirstOrDefault(c => c.Stamp == stamp)?.Copy();
        }
    }

    /// <summary>How many archives of this instance each repository holds, as far as this process knows.</summary>
    public (int Archive, int Wal) ArchiveCounts
    {
        get
        {
            lock (_lock)
            {
                return (_archiveNames.Count, _walNames.Count);
            }
        }
    }

    public bool HasWalArchive(string name)
    {
        lock (_lock)
        {
            return _walNames.Contains(name);
        }
    }

    /// <summary>Archives of one repository whose names end in ".checkpoint": what an interrupted create left.</summary>
    public IReadOnlyList<string> Checkpoints(bool walRepository)
    {
        lock (_lock)
        {
            return (walRepository ? _walNames : _archiveNames).Where(n => n.EndsWith(".checkpoint", StringComparison.Ordinal)
                && ArchiveName.TryParse(n[..^".checkpoint".Length], out var p)
                && p.Kind is ArchiveName.BaseKind or ArchiveName.TablespaceKind or ArchiveName.WalKind).ToList();
        }
    }

    public void AddWal(string cycle, WalBatch batch, long compressedSize)
    {
        lock (_lock)
        {
            var entry = Entry(cycle);
            if (entry.WalBatches.All(w => w.Archive != batch.Archive))
            {
                entry.WalBatches.Add(batch);
            }
            _walNames.Add(batch.Archive);
        }
        if (compressedSize > 0)
        {
            sizes.AddWal(cycle, compressedSize);
        }
    }

    /// <summary>Archives deleted from one repository (whichever cycle they belonged to, or none).</summary>
    public void Forget(IReadOnlyCollection<string> names, bool walRepository)
    {
        var gone = names.ToHashSet(StringComparer.Ordinal);
        lock (_lock)
        {
            (walRepository ? _walNames : _archiveNames).ExceptWith(gone);
            foreach (var c in _cycles)
            {
                c.WalBatches.RemoveAll(w => w.InWalRepository == walRepository && gone.Contains(w.Archive));
                if (!walRepository)
                {
                    c.TablespaceArchives.RemoveAll(gone.Contains);
                    if (c.BaseArchive is { } b && gone.Contains(b))
                    {
                        c.BaseArchive = null;
                        c.Base = null;
                    }
                }
            }
            _cycles.RemoveAll(c => c.BaseArchive is null && c.TablespaceArchives.Count == 0 && c.WalBatches.Count == 0);
        }
    }

    /// <summary>A base stored, with its tablespaces, and marked complete.</summary>
    public void AddBase(string cycle, string archive, BaseMetadata metadata, IReadOnlyList<string> tablespaceArchives, long compressedSize)
    {
        lock (_lock)
        {
            var entry = Entry(cycle);
            entry.BaseArchive = archive;
            entry.Base = metadata;
            entry.TablespaceArchives.Clear();
            entry.TablespaceArchives.AddRange(tablespaceArchives);
            _archiveNames.Add(archive);
            _archiveNames.UnionWith(tablespaceArchives);
        }
        sizes.SetBase(cycle, compressedSize);
    }

    /// <summary>A cycle expired: its archives are gone from both repositories, its sizes are forgotten.</summary>
    public void Remove(StoredCycle cycle)
    {
        Forget(cycle.ArchiveRepositoryArchives.ToList(), walRepository: false);
        Forget(cycle.WalRepositoryArchives.ToList(), walRepository: true);
        lock (_lock)
        {
            _cycles.RemoveAll(c => c.Stamp == cycle.Stamp);
        }
        sizes.Forget([cycle.Stamp]);
    }

    public CycleSize Sizes(string cycle) => sizes.Get(cycle);

    private StoredCycle Entry(string stamp)
    {
        if (_cycles.FirstOrDefault(c => c.Stamp == stamp) is { } existing)
        {
            return existing;
        }
        var added = new StoredCycle(stamp);
        _cycles.Add(added);
        _cycles.Sort((a, b) => string.CompareOrdinal(a.Stamp, b.Stamp));
        return added;
    }
}
