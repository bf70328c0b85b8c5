using PgBorg.Borg;
using PgBorg.Naming;

namespace PgBorg.Archiving;

/// <summary>One cycle as stored in Borg: its base (data directory + tablespaces) and its WAL batches.</summary>
public sealed class StoredCycle(string stamp)
{
    public string Stamp { get; } = stamp;
    public string? BaseArchive { get; set; }
    public BaseMetadata? Base { get; set; }
    public List<string> TablespaceArchives { get; } = [];
    public List<(string Archive, WalBatchMetadata? Metadata)> WalBatches { get; } = [];

    /// <summary>A base whose WAL up to the stop segment is in Borg: restorable on its own.</summary>
    public bool IsComplete => Base is { Complete: true };

    public IEnumerable<string> AllArchives =>
        WalBatches.Select(w => w.Archive).Concat(TablespaceArchives).Concat(BaseArchive is null ? [] : [BaseArchive]);

    /// <summary>Every WAL/history file stored for this cycle.</summary>
    public SortedSet<string> WalFiles => new(WalBatches.SelectMany(w => w.Metadata?.Files ?? []), StringComparer.Ordinal);

    /// <summary>The highest timeline any stored WAL, history or backup-history file of this cycle belongs to (every name starts with it).</summary>
    public uint? NewestTimeline => WalBatches.SelectMany(w => w.Metadata?.Files ?? [])
        .Where(f => WalFileName.Classify(f) is not null).Select(f => (uint?)WalFileName.Timeline(f)).Max();
}

/// <summary>The cycles of one instance, read from archive names and comments only (one <c>borg list</c>).</summary>
public static class CycleCatalog
{
    public static async Task<IReadOnlyList<StoredCycle>> ReadAsync(BorgRepository repo, string host, string instance, CancellationToken ct)
    {
        var archives = await repo.ListAsync(ArchiveName.InstanceGlob(host, instance), ct).ConfigureAwait(false);
        return Build(archives, host, instance);
    }

    public static IReadOnlyList<StoredCycle> Build(IEnumerable<BorgArchiveEntry> archives, string host, string instance)
    {
        var cycles = new SortedDictionary<string, StoredCycle>(StringComparer.Ordinal);
        foreach (var a in archives)
        {
            if (!ArchiveName.TryParse(a.Name, out var n) || n.IsPartial || n.Host != host || n.Instance != instance)
            {
                continue;
            }
            StoredCycle Cycle() => cycles.TryGetValue(n.Cycle, out var c) ? c : cycles[n.Cycle] = new StoredCycle(n.Cycle);
            switch (n.Kind)
            {
                case ArchiveName.BaseKind:
                    Cycle().BaseArchive = a.Name;
                    Cycle().Base = BaseMetadata.TryParse(a.Comment);
                    break;
                case ArchiveName.TablespaceKind:
                    Cycle().TablespaceArchives.Add(a.Name);
                    break;
                case ArchiveName.WalKind:
                    Cycle().WalBatches.Add((a.Name, WalBatchMetadata.TryParse(a.Comment)));
                    break;
            }
        }
        return cycles.Values.ToList();
    }
}
