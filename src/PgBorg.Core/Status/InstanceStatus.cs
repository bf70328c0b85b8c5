using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Dumps;
using PgBorg.PostgreSql;

namespace PgBorg.Status;

public sealed record DumpStatus(
    [property: JsonPropertyName("what")] string What,
    [property: JsonPropertyName("newest")] DateTimeOffset Newest,
    [property: JsonPropertyName("count")] int Count);

/// <summary>What <c>pgborg status</c> reports for one instance; read from names, comments and the spool only.</summary>
public sealed record InstanceStatus(
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("dataDirectory")] string DataDirectory,
    [property: JsonPropertyName("completeCycles")] int? CompleteCycles,
    [property: JsonPropertyName("newestBase")] DateTimeOffset? NewestBase,
    [property: JsonPropertyName("newestBaseCycle")] string? NewestBaseCycle,
    [property: JsonPropertyName("newestWal")] string? NewestWal,
    [property: JsonPropertyName("newestWalStoredAt")] DateTimeOffset? NewestWalStoredAt,
    [property: JsonPropertyName("activeSpools")] int ActiveSpools,
    [property: JsonPropertyName("spoolBacklogFiles")] int SpoolBacklogFiles,
    [property: JsonPropertyName("spoolBacklogBytes")] long SpoolBacklogBytes,
    [property: JsonPropertyName("dumps")] List<DumpStatus> Dumps,
    [property: JsonPropertyName("errors")] List<string> Errors)
{
    public static async Task<InstanceStatus> ReadAsync(PgBorgConfig config, PgInstance instance, string host, ILogger log, CancellationToken ct)
    {
        var errors = new List<string>();
        int? complete = null;
        StoredCycle? newest = null;
        (string File, DateTimeOffset At)? newestWal = null;
        try
        {
            var repo = new BorgRepository(config.ArchiveFor(instance.Name).Repository, config.StateDirectory, log);
            var cycles = await CycleCatalog.ReadAsync(repo, host, instance.Name, ct).ConfigureAwait(false);
            complete = cycles.Count(c => c.IsComplete);
            newest = cycles.LastOrDefault(c => c.IsComplete);
            newestWal = cycles.SelectMany(c => c.WalBatches).Select(w => w.Metadata).OfType<WalBatchMetadata>()
                .OrderBy(m => m.Files[^1], StringComparer.Ordinal).Select(m => ((string, DateTimeOffset)?)(m.Files[^1], m.CreatedAt)).LastOrDefault();
        }
        catch (ConfigException)
        {
            errors.Add("archive: no repository configured");
        }
        catch (BorgException e)
        {
            errors.Add("archive: " + e.Message);
        }
        var dumps = new List<DumpStatus>();
        try
        {
            var repo = new BorgRepository(config.DumpFor(instance.Name).Repository, config.StateDirectory, log);
            var entries = await DumpCatalog.ListAsync(repo, host, instance.Name, ct).ConfigureAwait(false);
            dumps = entries.GroupBy(e => e.IsGlobals ? "(globals)" : e.Name.Database!)
                .Select(g => new DumpStatus(g.Key, g.Max(e => e.Name.Time), g.Count())).OrderBy(d => d.What, StringComparer.Ordinal).ToList();
        }
        catch (ConfigException)
        {
            errors.Add("dumps: no repository configured");
        }
        catch (BorgException e)
        {
            errors.Add("dumps: " + e.Message);
        }
        var spools = SpoolDirectory.Cycles(instance.DataDirectory);
        var backlog = spools.SelectMany(c => SpoolDirectory.Files(instance.DataDirectory, c).Select(f => Path.Combine(SpoolDirectory.CycleDirectory(instance.DataDirectory, c), f))).ToList();
        return new InstanceStatus(instance.Name, instance.DataDirectory, complete, newest?.Base?.StoppedAt, newest?.Stamp, newestWal?.File, newestWal?.At,
            SpoolDirectory.ActiveCycles(instance.DataDirectory).Count, backlog.Count, backlog.Sum(f => new FileInfo(f).Length), dumps, errors);
    }

    public string ToJson() => JsonSerializer.Serialize(this, StatusJsonContext.Default.InstanceStatus);

    public void Print(TextWriter o, DateTimeOffset now)
    {
        static string Ago(DateTimeOffset? t, DateTimeOffset now) => t is null ? "never" : $"{t.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({Duration.Format(TimeSpan.FromSeconds(Math.Max(0, (long)(now - t.Value).TotalSeconds)))} ago)";
        o.WriteLine($"{Instance} ({DataDirectory})");
        o.WriteLine($"  cycles:      {(CompleteCycles is null ? "?" : CompleteCycles.ToString())} complete; newest base {Ago(NewestBase, now)}{(NewestBaseCycle is null ? "" : $", cycle {NewestBaseCycle}")}");
        o.WriteLine($"  WAL:         newest archived {NewestWal ?? "none"}, stored {Ago(NewestWalStoredAt, now)}");
        o.WriteLine($"  spool:       {ActiveSpools} active; {SpoolBacklogFiles} file(s) waiting ({BorgRepository.FormatBytes(SpoolBacklogBytes)})");
        foreach (var d in Dumps)
        {
            o.WriteLine($"  dump:        {d.What}: newest {Ago(d.Newest, now)}, {d.Count} kept");
        }
        foreach (var e in Errors)
        {
            o.WriteLine($"  error:       {e}");
        }
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InstanceStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
