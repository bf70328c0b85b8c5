using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.Snapshots;

namespace PgBorg.Archiving;

/// <summary>
/// The archiving cycles of one instance. A round: ingest every spool; start a new cycle when there is no complete one,
/// when the cycle's compressed WAL outgrew its compressed base, when the base is older than cycle_max_age, or on
/// request; retire the spools of older cycles once a newer cycle is complete; expire old cycles.
///
/// Cycles overlap, so no segment is ever missing between them: a new cycle's spool exists (and receives every WAL
/// file) before its base starts; the old spool keeps receiving WAL until the new base is in Borg together with the
/// WAL up to its stop segment, and is drained into Borg before it is removed.
/// </summary>
public sealed class CycleManager
{
    private readonly PgInstance _instance;
    private readonly ArchiveSettings _settings;
    private readonly BorgRepository _repo;
    private readonly string _host;
    private readonly string _binary;
    private readonly ILogger _log;
    private readonly CycleSizeStore _sizes;
    private readonly WalIngest _ingest;
    private readonly Expiry _expiry;
    // what Borg holds for this instance: read once at start, then kept up to date with what this process stores and deletes
    private List<StoredCycle> _stored = [];
    private HashSet<string> _archives = new(StringComparer.Ordinal);
    private bool _recovered;

    public CycleManager(PgInstance instance, ArchiveSettings settings, string stateDirectory, string host, string binary, ILogger log)
    {
        _instance = instance;
        _settings = settings;
        _host = host;
        _binary = binary;
        _log = log;
        _repo = new BorgRepository(settings.Repository, stateDirectory, log);
        _sizes = new CycleSizeStore(Path.Combine(stateDirectory, "archive", $"{NameCodec.Encode(host)}~{NameCodec.Encode(instance.Name)}.json"));
        _ingest = new WalIngest(_repo, host, instance, _sizes, log);
        _expiry = new Expiry(_repo, instance, settings, log, () => Heartbeat?.Invoke());
    }

    public PgInstance Instance => _instance;

    /// <summary>Called while a long operation makes progress (Borg's progress lines): feeds the systemd watchdog.</summary>
    public Action? Heartbeat { get; set; }

    /// <summary>Gets the bytes of base backups as Borg reads them (pgcad --once --new-cycle's progress display).</summary>
    public IProgress<BorgTransfer>? Transfer { get; set; }

    /// <summary>The newest complete cycle whose spool is still active here: the one restores of "now" use.</summary>
    public string? CurrentCycle => SpoolDirectory.ActiveCycles(_instance.DataDirectory).LastOrDefault(c => Stored(c)?.IsComplete == true);

    /// <summary>The cycles Borg holds for this instance, as this process knows them (no repository access).</summary>
    public IReadOnlyList<StoredCycle> StoredCycles => _stored;

    /// <summary>How many archives of this instance the repository holds, as this process knows them.</summary>
    public int ArchiveCount => _archives.Count;

    public string RepositoryLocation => _settings.Repository.Location;

    private StoredCycle? Stored(string cycle) => _stored.FirstOrDefault(s => s.Stamp == cycle);

    /// <summary>Throws <see cref="SettingsException"/> unless the server is the configured primary, set up for archiving.</summary>
    public async Task EnsureArchivableAsync(CancellationToken ct)
    {
        await using var session = await ServerSession.OpenAsync(_instance, ct).ConfigureAwait(false);
        SettingsCheck.Ensure(_instance, await session.SettingsAsync(ct).ConfigureAwait(false), _binary);
    }

    public async Task RoundAsync(bool newCycleRequested, Action<string> status, CancellationToken ct)
    {
        if (!_recovered)
        {
            await _repo.EnsureInitialisedAsync(ct).ConfigureAwait(false);
            await RecoverAsync(ct).ConfigureAwait(false);
            _recovered = true;
        }
        status($"{_instance.Name}: archiving WAL");
        await IngestAllAsync(ct).ConfigureAwait(false);

        var reason = NewCycleReason(newCycleRequested);
        if (reason is not null)
        {
            await StartCycleAsync(reason, status, ct).ConfigureAwait(false);
        }
        await RetireOldSpoolsAsync(ct).ConfigureAwait(false);
        if (reason is not null || _expiry.Due)
        {
            status($"{_instance.Name}: expiring old cycles");
            var expiredAny = false;
            foreach (var expired in await _expiry.RunAsync(_stored, ct).ConfigureAwait(false))
            {
                _archives.ExceptWith(expired.AllArchives);
                _stored.Remove(expired);
                expiredAny = true;
            }
            if (expiredAny)
            {
                await ExpireRestorePointsAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Restore points older than the oldest remaining base can no longer be reached: their records go too.</summary>
    private async Task ExpireRestorePointsAsync(CancellationToken ct)
    {
        var oldest = _stored.Where(c => c.IsComplete).Select(c => c.Base!.StartedAt).DefaultIfEmpty(DateTimeOffset.MinValue).Min();
        var glob = $"{NameCodec.Encode(_host)}~{NameCodec.Encode(_instance.Name)}~*~{ArchiveName.RestorePointKind}~*";
        var points = await _repo.ListAsync(glob, ct).ConfigureAwait(false);
        var unreachable = points.Select(p => p.Name)
            .Where(n => ArchiveName.TryParse(n, out var a) && a.Kind == ArchiveName.RestorePointKind && a.Time < oldest).ToList();
        if (unreachable.Count > 0)
        {
            await _repo.DeleteAsync(unreachable, ct, Heartbeat).ConfigureAwait(false);
            Log.RestorePointsExpired(_log, _instance.Name, unreachable.Count);
        }
    }

    private async Task RefreshAsync(CancellationToken ct, bool considerCheckpoints = false)
    {
        var archives = await _repo.ListAsync(ArchiveName.InstanceGlob(_host, _instance.Name), ct, considerCheckpoints).ConfigureAwait(false);
        _archives = archives.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        _stored = CycleCatalog.Build(archives, _host, _instance.Name).ToList();
    }

    private StoredCycle CycleEntry(string stamp)
    {
        if (Stored(stamp) is { } existing)
        {
            return existing;
        }
        var added = new StoredCycle(stamp);
        _stored.Add(added);
        _stored.Sort((a, b) => string.CompareOrdinal(a.Stamp, b.Stamp));
        return added;
    }

    /// <summary>Ingests one spool and notes the new WAL archives in the in-memory catalog.</summary>
    private async Task<IReadOnlyList<WalIngest.Batch>> IngestAsync(string cycle, CancellationToken ct)
    {
        var batches = await _ingest.IngestAsync(cycle, _archives, ct).ConfigureAwait(false);
        var entry = batches.Count > 0 ? CycleEntry(cycle) : null;
        foreach (var b in batches.Where(b => entry!.WalBatches.All(w => w.Archive != b.Archive)))
        {
            entry!.WalBatches.Add((b.Archive, b.Metadata));
        }
        return batches;
    }

    /// <summary>After a crash: snapshots, Borg checkpoints and stale temporaries of an interrupted run go away.</summary>
    private async Task RecoverAsync(CancellationToken ct)
    {
        await SnapshotTaker.CleanupLeftoversAsync(_instance.DataDirectory, Tablespaces.Read(_instance.DataDirectory).Select(t => t.Path), _log, ct).ConfigureAwait(false);
        await RefreshAsync(ct, considerCheckpoints: true).ConfigureAwait(false); // checkpoints parse as no cycle's archive
        var checkpoints = _archives.Where(n => n.EndsWith(".checkpoint", StringComparison.Ordinal)
            && ArchiveName.TryParse(n[..^".checkpoint".Length], out var p) && p.Kind is ArchiveName.BaseKind or ArchiveName.TablespaceKind or ArchiveName.WalKind).ToList();
        foreach (var c in checkpoints)
        {
            Log.RemovingLeftover(_log, _instance.Name, "Borg checkpoint archive", c);
        }
        await _repo.DeleteAsync(checkpoints, ct, Heartbeat).ConfigureAwait(false);
        _archives.ExceptWith(checkpoints);
        WalIngest.RemoveStaleTemporaries(_instance.DataDirectory);
    }

    private async Task IngestAllAsync(CancellationToken ct)
    {
        foreach (var cycle in SpoolDirectory.Cycles(_instance.DataDirectory))
        {
            await IngestAsync(cycle, ct).ConfigureAwait(false);
        }
    }

    private string? NewCycleReason(bool requested)
    {
        var current = CurrentCycle;
        if (current is null)
        {
            return "no complete cycle yet";
        }
        if (requested)
        {
            return "requested";
        }
        var stored = Stored(current)!;
        // after a promotion (a restore to a target, a promoted standby) the server writes a new timeline that forked
        // before the end of this base or even before it started — then PostgreSQL refuses to follow the new timeline
        // from this base ("requested timeline is not a child of this server's history"), and the latest state could
        // not be restored until cycle_max_age brought a new base
        if (stored.NewestTimeline is { } timeline && timeline > stored.Base!.Timeline)
        {
            return $"its WAL reached timeline {timeline} while its base is on timeline {stored.Base.Timeline}";
        }
        if (DateTimeOffset.UtcNow - stored.Base!.StoppedAt > _settings.CycleMaxAge)
        {
            return $"the base is older than cycle_max_age ({Duration.Format(_settings.CycleMaxAge)})";
        }
        var sizes = _sizes.Get(current);
        var baseCompressed = stored.Base.CompressedSize ?? sizes.BaseCompressed;
        if (baseCompressed > 0 && sizes.WalCompressed > baseCompressed)
        {
            return $"its compressed WAL ({BorgRepository.FormatBytes(sizes.WalCompressed)}) outgrew its compressed base ({BorgRepository.FormatBytes(baseCompressed)})";
        }
        return null;
    }

    private async Task StartCycleAsync(string reason, Action<string> status, CancellationToken ct)
    {
        var cycle = Stamp.Of(DateTimeOffset.UtcNow);
        while (SpoolDirectory.Cycles(_instance.DataDirectory).Any(c => string.CompareOrdinal(c, cycle) >= 0))
        {
            await Task.Delay(200, ct).ConfigureAwait(false);
            cycle = Stamp.Of(DateTimeOffset.UtcNow);
        }
        Log.CycleStarting(_log, _instance.Name, cycle, reason);
        status($"{_instance.Name}: base backup of cycle {cycle}");
        SpoolManager.Create(_instance, cycle);
        try
        {
            await using var session = await ServerSession.OpenAsync(_instance, ct).ConfigureAwait(false);
            var server = await session.SettingsAsync(ct).ConfigureAwait(false);
            SettingsCheck.Ensure(_instance, server, _binary);
            await session.WakeArchiverAsync(ct).ConfigureAwait(false);
            var result = await new BaseBackup(_repo, _host, _instance, _settings, _log, Heartbeat, Transfer).TakeAsync(session, server, cycle, ct).ConfigureAwait(false);
            _archives.Add(result.Archive);
            _sizes.SetBase(cycle, result.Stats.CompressedSize);
            await CompleteAsync(cycle, result, ct).ConfigureAwait(false);
            Log.BaseStored(_log, _instance.Name, cycle, result.Metadata.Method, BorgRepository.FormatBytes(result.Stats.OriginalSize),
                BorgRepository.FormatBytes(result.Stats.CompressedSize), BorgRepository.FormatBytes(result.Stats.DeduplicatedSize),
                result.Metadata.StartWalFile, result.Metadata.StopWalFile, result.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await AbandonAsync(cycle).ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException)
        {
            await AbandonAsync(cycle).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A base counts only once the WAL up to its stop segment is in Borg: ingest the new spool until that segment
    /// has been stored (pg_backup_stop already waited for it to reach the spool), then mark the base complete.
    /// </summary>
    private async Task CompleteAsync(string cycle, BaseBackup.Result result, CancellationToken ct)
    {
        var needed = result.Metadata.StopWalFile;
        var spooled = Path.Combine(SpoolDirectory.CycleDirectory(_instance.DataDirectory, cycle), needed);
        var until = DateTime.UtcNow.AddSeconds(120);
        while (!File.Exists(spooled))
        {
            if (DateTime.UtcNow > until)
            {
                throw new PgException($"the base backup of cycle {cycle} needs WAL up to {needed}, which did not reach the spool within 2 minutes (is archive_command failing? see the server log)");
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        var stored = (await IngestAsync(cycle, ct).ConfigureAwait(false)).SelectMany(b => b.Files).ToHashSet(StringComparer.Ordinal);
        if (!stored.Contains(needed))
        {
            throw new PgException($"the base backup of cycle {cycle} needs {needed}, which was not ingested");
        }
        var complete = result.Metadata with { Complete = true };
        await _repo.SetCommentAsync(result.Archive, complete.ToJson(), ct, Heartbeat).ConfigureAwait(false);
        var entry = CycleEntry(cycle);
        entry.BaseArchive = result.Archive;
        entry.Base = complete;
    }

    /// <summary>A cycle whose base failed: its spool is drained and removed, its archives go with the next expiry.</summary>
    private async Task AbandonAsync(string cycle)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            SpoolManager.MarkClosing(_instance, cycle);
            SpoolManager.Remove(_instance, cycle);
            await RefreshAsync(timeout.Token).ConfigureAwait(false);
            var abandoned = Stored(cycle);
            if (abandoned is not null)
            {
                await _repo.DeleteAsync(abandoned.AllArchives.ToList(), timeout.Token, Heartbeat).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is BorgException or IOException or OperationCanceledException or ProcessFailedException)
        {
            Log.ArchiveRoundFailed(_log, _instance.Name, $"cleaning up the failed cycle {cycle}: {e.Message}; the next rounds retry");
        }
    }

    /// <summary>Every spool older than the newest complete cycle, and every abandoned one, is drained twice and removed.</summary>
    private async Task RetireOldSpoolsAsync(CancellationToken ct)
    {
        var current = CurrentCycle;
        if (current is null)
        {
            return;
        }
        foreach (var cycle in SpoolDirectory.Cycles(_instance.DataDirectory).Where(c => c != current))
        {
            SpoolManager.MarkClosing(_instance, cycle);
            await IngestAsync(cycle, ct).ConfigureAwait(false);
            await Task.Delay(1000, ct).ConfigureAwait(false); // a wal-push that saw the spool open finishes
            await IngestAsync(cycle, ct).ConfigureAwait(false);
            SpoolManager.Remove(_instance, cycle);
            Log.CycleRetired(_log, _instance.Name, cycle, current);
        }
    }
}

/// <summary>The server is not set up for archiving (exit 2 at start).</summary>
public sealed class SettingsException(string message) : Exception(message);
