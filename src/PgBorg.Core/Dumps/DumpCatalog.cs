using PgBorg.Borg;
using PgBorg.Naming;

namespace PgBorg.Dumps;

/// <summary>A complete dump archive in the repository.</summary>
public sealed record DumpEntry(string ArchiveName, ArchiveName Name, DumpMetadata? Metadata)
{
    public bool IsGlobals => Name.Kind == Naming.ArchiveName.GlobalsKind;
}

/// <summary>Lists and chooses dumps of one instance on one host. Choosing reads names and comments only.</summary>
public static class DumpCatalog
{
    public static async Task<IReadOnlyList<DumpEntry>> ListAsync(BorgRepository repo, string host, string instance, CancellationToken ct)
    {
        var archives = await repo.ListAsync(ArchiveName.InstanceGlob(host, instance), ct).ConfigureAwait(false);
        return archives
            .Select(a => ArchiveName.TryParse(a.Name, out var n) && !n.IsPartial && n.Kind is Naming.ArchiveName.DumpKind or Naming.ArchiveName.GlobalsKind
                && n.Host == host && n.Instance == instance
                ? new DumpEntry(a.Name, n, DumpMetadata.TryParse(a.Comment))
                : null)
            .OfType<DumpEntry>()
            .OrderBy(e => e.Name.Time)
            .ThenBy(e => e.ArchiveName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The newest dump of <paramref name="database"/> (null = globals) at or before <paramref name="time"/>.</summary>
    public static DumpEntry Choose(IReadOnlyList<DumpEntry> entries, string instance, string? database, DateTimeOffset? time)
    {
        var ofDb = entries.Where(e => database is null ? e.IsGlobals : !e.IsGlobals && e.Name.Database == database).ToList();
        var what = database is null ? "globals" : $"database '{database}'";
        if (ofDb.Count == 0)
        {
            var dbs = entries.Where(e => !e.IsGlobals).Select(e => e.Name.Database!).Distinct().Order(StringComparer.Ordinal).ToList();
            var hasGlobals = entries.Any(e => e.IsGlobals);
            throw new NotFoundException($"no dump of {what} for instance '{instance}'; " + (dbs.Count == 0 && !hasGlobals
                ? "the repository holds no dumps of this instance"
                : "dumps exist of: " + string.Join(", ", dbs.Select(d => $"'{d}'")) + (hasGlobals ? (dbs.Count > 0 ? ", " : "") + "--globals" : "")));
        }
        var chosen = time is null ? ofDb[^1] : ofDb.LastOrDefault(e => e.Name.Time <= time.Value);
        return chosen ?? throw new NotFoundException(
            $"no dump of {what} at or before {time!.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; the oldest is from {ofDb[0].Name.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({ofDb.Count} dumps up to {ofDb[^1].Name.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)");
    }
}
