using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Dumps;

/// <summary>
/// One round of pgdumpd: for every instance, the globals and every non-template database, each streamed into
/// Borg on its own; then a per-database prune and one compact per repository. A failing instance or database
/// is recorded and the round goes on with the others; the next round retries it.
/// </summary>
public sealed class DumpRound(PgBorgConfig config, string host, ILogger log, Action<string>? status = null, Action? heartbeat = null)
{
    public sealed record Outcome(string Instance, string What, bool Succeeded, string? Error);

    public async Task<IReadOnlyList<Outcome>> RunAsync(IReadOnlyList<PgInstance> instances, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var outcomes = new List<Outcome>();
        var repositories = new Dictionary<string, BorgRepository>(StringComparer.Ordinal);
        var writer = new DumpWriter(log, heartbeat);
        foreach (var instance in instances)
        {
            ct.ThrowIfCancellationRequested();
            var settings = config.DumpFor(instance.Name);
            if (!repositories.TryGetValue(settings.Repository.Location, out var repo))
            {
                repo = new BorgRepository(settings.Repository, config.StateDirectory, log);
                repositories[settings.Repository.Location] = repo;
            }
            await DumpInstanceAsync(instance, settings, repo, writer, outcomes, ct).ConfigureAwait(false);
        }
        foreach (var repo in repositories.Values)
        {
            await CompactAsync(repo, outcomes, ct).ConfigureAwait(false);
        }
        Log.RoundFinished(log, outcomes.Count(o => o.Succeeded), outcomes.Count(o => !o.Succeeded), watch.Elapsed.TotalSeconds);
        return outcomes;
    }

    private async Task DumpInstanceAsync(PgInstance instance, DumpSettings settings, BorgRepository repo, DumpWriter writer, List<Outcome> outcomes, CancellationToken ct)
    {
        ServerInventory inventory;
        try
        {
            status?.Invoke($"{instance.Name}: connecting");
            inventory = await ServerInventoryReader.ReadAsync(instance, ct).ConfigureAwait(false);
            CheckIdentity(instance, inventory);
            await repo.EnsureInitialisedAsync(ct).ConfigureAwait(false);
            await RemovePartialsAsync(instance, repo, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRoundFailure(e))
        {
            Log.InstanceFailed(log, instance.Name, e.Message);
            outcomes.Add(new Outcome(instance.Name, "instance", false, e.Message));
            return;
        }

        var targets = new List<string?> { null };
        foreach (var db in inventory.Databases)
        {
            if (db.AllowConnections)
            {
                targets.Add(db.Name);
            }
            else
            {
                log.LogWarning("{Instance}: database {Database} does not allow connections (datallowconn = false); not dumped", instance.Name, db.Name);
            }
        }
        foreach (var database in targets)
        {
            ct.ThrowIfCancellationRequested();
            var what = database is null ? "globals" : $"database {database}";
            status?.Invoke($"{instance.Name}: dumping {what}");
            try
            {
                var result = await writer.DumpAsync(instance, inventory.ServerVersionNum, repo, host, database, ct).ConfigureAwait(false);
                Log.Dumped(log, instance.Name, what, result.Archive.ToString(), BorgRepository.FormatBytes(result.Bytes),
                    BorgRepository.FormatBytes(result.Stats.DeduplicatedSize), result.Elapsed.TotalSeconds);
                outcomes.Add(new Outcome(instance.Name, what, true, null));
            }
            catch (Exception e) when (IsRoundFailure(e))
            {
                if (database is not null && await WasDroppedAsync(instance, database, ct).ConfigureAwait(false))
                {
                    Log.DatabaseDropped(log, instance.Name, database);
                    continue;
                }
                Log.DumpFailed(log, instance.Name, what, e.Message);
                outcomes.Add(new Outcome(instance.Name, what, false, e.Message));
                continue;
            }
            await PruneAsync(instance, settings, repo, database, outcomes, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Refuses to dump a server that is not the configured instance (wrong socket or port).</summary>
    private static void CheckIdentity(PgInstance instance, ServerInventory inventory)
    {
        var expected = Path.TrimEndingDirectorySeparator(Path.GetFullPath(instance.DataDirectory));
        var actual = Path.TrimEndingDirectorySeparator(inventory.DataDirectory);
        if (!string.Equals(expected, actual, StringComparison.Ordinal) && !SameFile(expected, actual))
        {
            throw new PgException($"the server on {instance.SocketDirectory} port {instance.Port} serves data directory {actual}, not {expected}; refusing to dump the wrong server");
        }
        if (inventory.ServerVersionNum / 10000 != instance.MajorVersion)
        {
            throw new PgException($"the server on port {instance.Port} is PostgreSQL {inventory.ServerVersionNum / 10000}, but {instance.DataDirectory} is version {instance.MajorVersion}");
        }
    }

    private static bool SameFile(string a, string b)
    {
        try
        {
            var ra = new DirectoryInfo(a).ResolveLinkTarget(true)?.FullName ?? a;
            var rb = new DirectoryInfo(b).ResolveLinkTarget(true)?.FullName ?? b;
            return string.Equals(ra, rb, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private async Task<bool> WasDroppedAsync(PgInstance instance, string database, CancellationToken ct)
    {
        try
        {
            var now = await ServerInventoryReader.ReadAsync(instance, ct).ConfigureAwait(false);
            return now.Databases.All(d => d.Name != database);
        }
        catch (PgException)
        {
            return false;
        }
    }

    /// <summary>Archives left by an interrupted earlier round (partial names, Borg checkpoints) are removed before dumping.</summary>
    private async Task RemovePartialsAsync(PgInstance instance, BorgRepository repo, CancellationToken ct)
    {
        var all = await repo.ListAsync(ArchiveName.InstanceGlob(host, instance.Name), ct, considerCheckpoints: true).ConfigureAwait(false);
        var leftovers = all.Select(a => a.Name)
            .Where(n => n.EndsWith(".checkpoint", StringComparison.Ordinal)
                || (ArchiveName.TryParse(n, out var parsed) && parsed.IsPartial))
            .Where(n => ArchiveName.TryParse(n.EndsWith(".checkpoint", StringComparison.Ordinal) ? n[..^".checkpoint".Length] : n, out var p)
                && p.Kind is "partial-dump" or "partial-globals")
            .ToList();
        foreach (var name in leftovers)
        {
            Log.RemovingPartial(log, instance.Name, name);
        }
        await repo.DeleteAsync(leftovers, ct).ConfigureAwait(false);
    }

    private async Task PruneAsync(PgInstance instance, DumpSettings settings, BorgRepository repo, string? database, List<Outcome> outcomes, CancellationToken ct)
    {
        var kind = database is null ? ArchiveName.GlobalsKind : ArchiveName.DumpKind;
        var glob = $"{NameCodec.Encode(host)}~{NameCodec.Encode(instance.Name)}~*~{kind}~" + (database is null ? "*" : $"{NameCodec.Encode(database)}~*");
        try
        {
            await repo.PruneAsync(glob, new BorgRepository.PruneRules(settings.KeepWithin, settings.KeepHourly, settings.KeepDaily,
                settings.KeepWeekly, settings.KeepMonthly, settings.KeepYearly), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRoundFailure(e))
        {
            var what = database is null ? "globals" : $"database {database}";
            Log.PruneFailed(log, instance.Name, what, e.Message);
            outcomes.Add(new Outcome(instance.Name, $"prune {what}", false, e.Message));
        }
    }

    private async Task CompactAsync(BorgRepository repo, List<Outcome> outcomes, CancellationToken ct)
    {
        try
        {
            if (await repo.IsAppendOnlyAsync(ct).ConfigureAwait(false))
            {
                Log.AppendOnly(log, repo.Location);
                return;
            }
            status?.Invoke($"compacting {repo.Location}");
            await repo.CompactAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRoundFailure(e))
        {
            Log.InstanceFailed(log, repo.Location, $"compact failed: {e.Message}");
            outcomes.Add(new Outcome(repo.Location, "compact", false, e.Message));
        }
    }

    private static bool IsRoundFailure(Exception e) =>
        e is BorgException or PgException or DumpException or ProcessFailedException or IOException or UnauthorizedAccessException;
}
