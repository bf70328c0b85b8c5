namespace PgBorg.Archiving;

/// <summary>One cycle as stored in Borg: its base (data directory + tablespaces) and its WAL archives.</summary>
public sealed class StoredCycle(string stamp)
{
    public string Stamp { get; } = stamp;
    public string? BaseArchive { get; set; }
    public BaseMetadata? Base { get; set; }
    public List<string> TablespaceArchives { get; } = [];
    public List<WalBatch> WalBatches { get; } = [];

    /// <summary>A base whose WAL up to the stop segment is in Borg: restorable on its own.</summary>
    public bool IsComplete => Base is { Complete: true };

    /// <summary>The archives of this cycle in the archive repository: base, tablespaces, and WAL stored there before WAL had its own.</summary>
    public IEnumerable<string> ArchiveRepositoryArchives =>
        WalBatches.Where(w => !w.InWalRepository).Select(w => w.Archive).Concat(TablespaceArchives).Concat(BaseArchive is null ? [] : [BaseArchive]);

    /// <summary>The archives of this cycle in the WAL repository.</summary>
    public IEnumerable<string> WalRepositoryArchives => WalBatches.Where(w => w.InWalRepository).Select(w => w.Archive);

    /// <summary>An independent copy (the lists are new) for a reader outside <see cref="CycleBook"/>'s lock.</summary>
    public StoredCycle Copy()
    {
        var copy = new StoredCycle(Stamp) { BaseArchive = BaseArchive, Base = Base };
        copy.TablespaceArchives.AddRange(TablespaceArchives);
        copy.WalBatches.AddRange(WalBatches);
        return copy;
    }

    /// <summary>Every WAL/history file stored for this cycle.</summary>
    public SortedSet<string> WalFiles => new(WalBatches.SelectMany(w => w.Files), StringComparer.Ordinal);

    /// <summary>The highest timeline any stored WAL, history or backup-history file of this cycle belongs to (every name starts with it).</summary>
    public uint? NewestTimeline => WalBatches.SelectMany(w => w.Files)
        .Where(f => WalFileName.Classify(f) is not null).Select(f => (uint?)WalFileName.Timeline(f)).Max();
}
