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
/// Borg on its own. Then, per repository, one listing, one <c>borg delete</c> for what the keep rules of every
/// database no longer keep (and for leftovers of interrupted runs), and <c>borg compact</c> only when something
/// was deleted. A failing instance or database is recorded and the round goes on; the next round retries it.
/// </summary>
public sealed class DumpRound(PgBorgConfig config, string host, ILogger log, Action<string>? status = null, Action? heartbeat = null)
{
    /// <summary>
    /// One part of a round. <paramref name="Series"/> is true for a database or the globals (<paramref name="Database"/>
    /// null), false for the instance as a whole or a repository's pruning; a dump that succeeded carries its archive's
    /// time, size and duration.
    /// </summary>
    public sealed record Outcome(string Instance, string What, bool Succeeded, string? Error,
        bool Series = false, string? Database = null, DateTimeOffset? DumpedAt = null, long? Size = null, double? Seconds = null);

    /// <summary>After <see cref="RunAsync"/>: per instance and series (database, null for the globals), the newest dump in Borg.</summary>
    public Dictionary<(string Instance, string? Database), DateTimeOffset> NewestDumps { get; } = [];

    /// <summary>After <see cref="RunAsync"/>: per repository, the archives of this host's instances it holds.</summary>
    public Dictionary<string, int> ArchiveCounts { get; } = new(StringComparer.Ordinal);

    private readonly Dictionary<string, bool> _appendOnly = new(StringComparer.Ordinal);

    // Repositories compacted by this process since its last deletions there. A repository not in it is compacted
    // even when nothing is pruned: deletions made just before a crash or restart are only freed by a compaction.
    private readonly HashSet<string> _compacted = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<Outcome>> RunAsync(IReadOnlyList<PgInstance> instances, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var outcomes = new List<Outcome>();
        var repositories = new Dictionary<string, (BorgRepository Repo, List<Dumped> Dumped)>(StringComparer.Ordinal);
        var writer = new DumpWriter(heartbeat);
        foreach (var instance in instances)
        {
            ct.ThrowIfCancellationRequested();
            var settings = config.DumpFor(instance.Name);
            if (!repositories.TryGetValue(settings.Repository.Location, out var entry))
            {
                entry = (new BorgRepository(settings.Repository, config.StateDirectory, log), []);
                repositories[settings.Repository.Location] = entry;
            }
            // the instance's own Borg runs log under its name; pruning uses the repository's shared object
            var own = new BorgRepository(settings.Repository, config.StateDirectory, new InstanceLogger(log, instance.Name));
            if (await DumpInstanceAsync(instance, own, writer, outcomes, ct).ConfigureAwait(false) is { } dumped)
            {
                entry.Dumped.Add(dumped);
            }
        }
        foreach (var (repo, dumped) in repositories.Values.Where(r => r.Dumped.Count > 0))
        {
            await PruneAsync(repo, dumped, outcomes, ct).ConfigureAwait(false);
        }
        Log.RoundFinished(log, string.Join(", ", instances.Select(i => i.Name)), outcomes.Count(o => o.Succeeded), outcomes.Count(o => !o.Succeeded), watch.Elapsed.TotalSeconds);
        return outcomes;
    }

    /// <summary>An instance that was reached: what its series held before the round, and what the round added.</summary>
    private sealed record Dumped(PgInstance Instance, Task<IReadOnlyList<BorgArchiveEntry>> Listing, List<string> Created);

    /// <summary>
    /// Dumps one instance; null when it could not be reached at all. The listing pruning needs comes first, then
    /// the globals and the databases, smallest first. Each Borg process is started while its predecessor still runs
    /// and waits for the repository lock in short attempts (<see cref="DumpPipelinedAsync"/>), so its start-up —
    /// Python, the key, the repository — overlaps the previous dump instead of adding to the round.
    /// </summary>
    private async Task<Dumped?> DumpInstanceAsync(PgInstance instance, BorgRepository repo, DumpWriter writer, List<Outcome> outcomes, CancellationToken ct)
    {
        ServerInventory inventory;
        try
        {
            status?.Invoke($"{instance.Name}: connecting");
            inventory = await ServerInventoryReader.ReadAsync(instance, ct).ConfigureAwait(false);
            CheckIdentity(instance, inventory);
            await repo.EnsureInitialisedAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRoundFailure(e))
        {
            Log.InstanceFailed(log, instance.Name, e.Message);
            outcomes.Add(new Outcome(instance.Name, "instance", false, e.Message));
            return null;
        }

        var targets = new List<string?> { null };
        foreach (var db in inventory.Databases.OrderBy(d => d.Size ?? long.MaxValue).ThenBy(d => d.Name, StringComparer.Ordinal))
        {
            if (db.AllowConnections)
            {
                targets.Add(db.Name);
            }
            else
            {
                Log.DatabaseNotConnectable(log, instance.Name, db.Name);
            }
        }
        // names only (from the manifest): pruning needs no more, and it stays cheap with thousands of archives
        var dumped = new Dumped(instance, repo.ListAsync(ArchiveName.InstanceGlob(host, instance.Name), ct, considerCheckpoints: true, comments: false), []);
        Task predecessor = dumped.Listing;
        var chained = Task.CompletedTask;
        foreach (var database in targets)
        {
            if (ct.IsCancellationRequested)
            {
                break;
            }
            var current = DumpOneAsync(instance, inventory, repo, writer, database, predecessor, dumped, outcomes, ct);
            await Task.WhenAny(chained).ConfigureAwait(false);
            // the successor starts once this one holds the lock, so the two never race for it (that would reorder them)
            await repo.WaitUntilExclusivelyLockedAsync(current, TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
            predecessor = chained = current;
        }
        // at most the last dump is still running: stopped (SIGTERM) or not, it is waited for before the round ends
        await Task.WhenAny(predecessor).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (predecessor != dumped.Listing)
        {
            await predecessor.ConfigureAwait(false);
        }
        return dumped;
    }

    private async Task DumpOneAsync(PgInstance instance, ServerInventory inventory, BorgRepository repo, DumpWriter writer, string? database,
        Task predecessor, Dumped dumped, List<Outcome> outcomes, CancellationToken ct)
    {
        var what = database is null ? "globals" : $"database {database}";
        var created = dumped.Created;
        try
        {
            // the series' names so far: a dump's name follows them even after the clock stepped back. A listing that
            // failed fails the pruning, not the dumps: their names then follow the clock alone
            await Task.WhenAny(dumped.Listing).ConfigureAwait(false);
            List<string> existing = dumped.Listing.IsCompletedSuccessfully ? [.. dumped.Listing.Result.Select(a => a.Name)] : [];
            var result = await DumpPipelinedAsync(instance, inventory, repo, writer, database, predecessor, what, existing, ct).ConfigureAwait(false);
            Log.Dumped(log, instance.Name, what, result.Archive.ToString(), BorgRepository.FormatBytes(result.Stats.OriginalSize),
                BorgRepository.FormatBytes(result.Stats.DeduplicatedSize), result.Elapsed.TotalSeconds);
            lock (outcomes)
            {
                outcomes.Add(new Outcome(instance.Name, what, true, null, true, database, result.Archive.Time,
                    result.Stats.OriginalSize, result.Elapsed.TotalSeconds));
                created.Add(result.Archive.ToString());
            }
        }
        catch (Exception e) when (IsRoundFailure(e))
        {
            if (database is not null && await WasDroppedAsync(instance, database, ct).ConfigureAwait(false))
            {
                Log.DatabaseDropped(log, instance.Name, database);
                return;
            }
            Log.DumpFailed(log, instance.Name, what, e.Message);
            lock (outcomes)
            {
                outcomes.Add(new Outcome(instance.Name, what, false, e.Message, true, database));
            }
        }
    }

    /// <summary>
    /// While the predecessor still runs: up to three one-second attempts at the lock (each a new Borg process that
    /// starts no dump unless it got the lock); a predecessor that takes longer is awaited, then the normal attempt.
    /// </summary>
    private async Task<DumpWriter.Result> DumpPipelinedAsync(PgInstance instance, ServerInventory inventory, BorgRepository repo, DumpWriter writer,
        string? database, Task predecessor, string what, IReadOnlyList<string> existing, CancellationToken ct)
    {
        status?.Invoke($"{instance.Name}: dumping {what}");
        for (var attempt = 0; attempt < 3 && !predecessor.IsCompleted; attempt++)
        {
            try
            {
                return await writer.DumpAsync(instance, inventory.ServerVersionNum, repo, host, database, existing, ct, quickLock: true).ConfigureAwait(false);
            }
            catch (BorgException e) when (e.IsLockTimeout)
            {
                // the predecessor (or someone else) still holds the lock
            }
        }
        await Task.WhenAny(predecessor).ConfigureAwait(false);
        return await writer.DumpAsync(instance, inventory.ServerVersionNum, repo, host, database, existing, ct).ConfigureAwait(false);
    }

    /// <summary>Refuses to dump a server that is not the configured instance (wrong socket or port).</summary>
    private static void CheckIdentity(PgInstance instance, ServerInventory inventory)
    {
        var expected = Path.TrimEndingDirectorySeparator(Path.GetFullPath(instance.DataDirectory));
        var actual = Path.TrimEndingDirectorySeparator(inventory.DataDirectory);
        if (!string.Equals(expected, actual, StringComparison.Ordinal) && !PathIdentity.Same(expected, actual))
        {
            throw new PgException($"the server on {instance.SocketDirectory} port {instance.Port} serves data directory {actual}, not {expected}; refusing to dump the wrong server");
        }
        if (inventory.ServerVersionNum / 10000 != instance.MajorVersion)
        {
            throw new PgException($"the server on port {instance.Port} is PostgreSQL {inventory.ServerVersionNum / 10000}, but {instance.DataDirectory} is version {instance.MajorVersion}");
        }
    }

    private static async Task<bool> WasDroppedAsync(PgInstance instance, string database, CancellationToken ct)
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

    /// <summary>
    /// One listing per repository; for each dumped instance, each series (a database, or the globals) is pruned with
    /// that instance's keep rules; leftovers of interrupted runs (Borg checkpoints, partial archives) go too.
    /// One <c>borg delete</c> for all of it (per thousand names), then <c>borg compact</c> unless the repository is
    /// append-only — also with nothing to delete, the first time in a process.
    /// </summary>
    private async Task PruneAsync(BorgRepository repo, List<Dumped> instances, List<Outcome> outcomes, CancellationToken ct)
    {
        try
        {
            status?.Invoke($"pruning {repo.Location}");
            var doomed = new List<string>();
            var total = 0;
            var now = DateTimeOffset.UtcNow;
            foreach (var (instance, listing, created) in instances)
            {
                var s = config.DumpFor(instance.Name);
                var rules = new DumpPruner.Rules(s.KeepWithin, s.KeepHourly, s.KeepDaily, s.KeepWeekly, s.KeepMonthly, s.KeepYearly);
                // listed before this round's dumps; what they created is added (a name is unique to the second)
                var archives = (await listing.ConfigureAwait(false)).Select(a => a.Name).Union(created, StringComparer.Ordinal).ToList();
                total += archives.Count;
                var parsed = new List<ArchiveName>();
                foreach (var a in archives)
                {
                    var checkpoint = a.EndsWith(".checkpoint", StringComparison.Ordinal);
                    if (!ArchiveName.TryParse(checkpoint ? a[..^".checkpoint".Length] : a, out var n) || n.BareKind is not (ArchiveName.DumpKind or ArchiveName.GlobalsKind))
                    {
                        continue;
                    }
                    if (checkpoint || n.IsPartial)
                    {
                        Log.RemovingPartial(log, instance.Name, a);
                        doomed.Add(a);
                    }
                    else
                    {
                        parsed.Add(n);
                    }
                }
                foreach (var series in parsed.GroupBy(n => (n.Kind, n.Database)))
                {
                    NewestDumps[(instance.Name, series.Key.Database)] = series.Max(n => n.Time);
                    doomed.AddRange(DumpPruner.ToDelete(series.ToList(), n => n.Time, rules, now).Select(n => n.ToString()));
                }
            }
            ArchiveCounts[repo.Location] = total - doomed.Count;
            if (doomed.Count == 0 && _compacted.Contains(repo.Location))
            {
                return;
            }
            if (doomed.Count > 0)
            {
                _compacted.Remove(repo.Location);
                await repo.DeleteAsync(doomed, ct, heartbeat).ConfigureAwait(false);
                Log.Pruned(log, repo.Location, doomed.Count);
            }
            if (!_appendOnly.TryGetValue(repo.Location, out var appendOnly))
            {
                _appendOnly[repo.Location] = appendOnly = await repo.IsAppendOnlyAsync(ct).ConfigureAwait(false);
            }
            if (appendOnly)
            {
                if (doomed.Count > 0)
                {
                    Log.AppendOnly(log, repo.Location);
                }
                _compacted.Add(repo.Location);
                return;
            }
            status?.Invoke($"compacting {repo.Location}");
            Log.CompactingDumps(log, repo.Location, doomed.Count);
            await repo.CompactAsync(ct, heartbeat).ConfigureAwait(false);
            _compacted.Add(repo.Location);
        }
        catch (Exception e) when (IsRoundFailure(e))
        {
            Log.PruneFailed(log, repo.Location, "dumps", e.Message);
            outcomes.Add(new Outcome(repo.Location, "prune", false, e.Message));
        }
    }

    private static bool IsRoundFailure(Exception e) =>
        e is BorgException or PgException or DumpException or ProcessFailedException or IOException or UnauthorizedAccessException;
}
