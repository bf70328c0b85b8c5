using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.Snapshots;

namespace PgBorg.Archiving;

/// <summary>
/// The archiving cycles of one instance, in two independent parts that share one <see cref="CycleBook"/>:
/// <list type="bullet">
/// <item><see cref="WalRoundAsync"/> ingests every spool into the WAL repository and consolidates closed windows. It
/// needs nothing but the WAL repository: not the server (a crashed server's spooled WAL still drains), not the archive
/// repository (a base's <c>borg create</c> of hours, a compact), and not another instance.</item>
/// <item><see cref="CycleRoundAsync"/> starts a new cycle when there is no complete one, when the cycle's compressed
/// WAL outgrew its compressed base, when the base is older than cycle_max_age, or on request; retires the spools of
/// older cycles once a newer cycle is complete; expires old cycles.</item>
/// </list>
/// Cycles overlap, so no segment is ever missing between them: a new cycle's spool exists (and receives every WAL
/// file) before its base starts; the old spool keeps receiving WAL until the new base is in Borg together with the
/// WAL up to its stop segment, and is drained into Borg before it is removed.
/// Each repository has a gate shared by every instance using it (one Borg writer at a time anyway); WAL work holds
/// only the WAL repository's gate.
/// </summary>
public sealed class CycleManager
{
    private readonly PgInstance _instance;
    private readonly ArchiveSettings _settings;
    private readonly BorgRepository _repo;
    private readonly BorgRepository _walRepo;
    private readonly ArchiveRepositories _repos;
    private readonly RepositoryGates _gates;
    private readonly string _host;
    private readonly string _binary;
    private readonly ILogger _log;
    private readonly CycleBook _book;
    private readonly WalIngest _ingest;
    private readonly WalConsolidation _consolidation;
    private readonly Expiry _expiry;
    private readonly LeftoverCycles _leftovers;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private bool _walRecovered;
    private bool _baseRecovered;
    private readonly HashSet<string> _droppedReported = new(StringComparer.Ordinal);

    public CycleManager(PgInstance instance, ArchiveSettings settings, RepositoryGates gates, string stateDirectory, string host, string binary, ILogger log)
    {
        _instance = instance;
        _settings = settings;
        _gates = gates;
        _host = host;
        _binary = binary;
        _log = log;
        _repos = ArchiveRepositories.Open(settings, stateDirectory, log);
        (_repo, _walRepo) = _repos;
        var sizes = new CycleSizeStore(Path.Combine(stateDirectory, "archive", $"{NameCodec.Encode(host)}~{NameCodec.Encode(instance.Name)}.json"));
        _book = new CycleBook(host, instance.Name, sizes);
        _ingest = new WalIngest(_walRepo, host, instance, _book, log);
        _consolidation = new WalConsolidation(_walRepo, host, instance, _book, settings.WalConsolidation, log);
        _expiry = new Expiry(_repo, _walRepo, instance, settings, log, () => Heartbeat?.Invoke());
        _leftovers = new LeftoverCycles(_repo, _walRepo, host, instance, log, () => Heartbeat?.Invoke());
    }

    public PgInstance Instance => _instance;

    /// <summary>Called while a long operation makes progress (Borg's progress lines): feeds the systemd watchdog.</summary>
    public Action? Heartbeat { get; set; }

    /// <summary>Gets the bytes of base backups as Borg reads them (pgcad --once --new-cycle's progress display).</summary>
    public IProgress<BorgTransfer>? Transfer { get; set; }

    /// <summary>The newest complete cycle whose spool is still active here: the one restores of "now" use.</summary>
    public string? CurrentCycle => SpoolDirectory.ActiveCycles(_instance.DataDirectory).LastOrDefault(c => _book.Get(c)?.IsComplete == true);

    /// <summary>The cycles Borg holds for this instance, as this process knows them (no repository access).</summary>
    public IReadOnlyList<StoredCycle> StoredCycles => _book.Cycles;

    /// <summary>How many archives of this instance each repository holds, as this process knows them.</summary>
    public (int Archive, int Wal) ArchiveCounts => _book.ArchiveCounts;

    public string RepositoryLocation => _settings.Repository.Location;

    public string WalRepositoryLocation => _settings.WalRepository.Location;

    /// <summary>Throws <see cref="SettingsException"/> unless the server is the configured primary, set up for archiving.</summary>
    public async Task EnsureArchivableAsync(CancellationToken ct)
    {
        await using var session = await ServerSession.OpenAsync(_instance, ct).ConfigureAwait(false);
        SettingsCheck.Ensure(_instance, await session.SettingsAsync(ct).ConfigureAwait(false), _binary);
    }

    /// <summary>Ingests every spool and consolidates the windows that closed. Holds only the WAL repository's gate.</summary>
    public async Task WalRoundAsync(CancellationToken ct)
    {
        if (SpoolDirectory.Cycles(_instance.DataDirectory).Count == 0)
        {
            return; // nothing to archive (no cycle started yet, or not the server to archive): no repository is touched
        }
        await EnsureLoadedAsync(ct).ConfigureAwait(false);
        await _gates.WithWalAsync(async () =>
        {
            if (!_walRecovered)
            {
                await RemoveCheckpointsAsync(_walRepo, walRepository: true, ct).ConfigureAwait(false);
                WalIngest.RemoveStaleTemporaries(_instance.DataDirectory);
                _walRecovered = true;
            }
            var cycles = SpoolDirectory.Cycles(_instance.DataDirectory);
            SpoolLimit.Apply(_instance, _settings.SpoolMaxSize);
            foreach (var cycle in cycles)
            {
                ReportDropped(cycle);
                await _ingest.IngestAsync(cycle, ct).ConfigureAwait(false);
            }
            // only then consolidation, which may fail without keeping any spool's WAL from Borg
            var now = DateTimeOffset.UtcNow;
            foreach (var cycle in cycles.Where(c => _consolidation.Due(c, now)))
            {
                await _consolidation.ConsolidateAsync(cycle, ct, Heartbeat).ConfigureAwait(false);
            }
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Logs, once per spool and process, that wal-push dropped WAL from it (spool_max_size).</summary>
    private void ReportDropped(string cycle)
    {
        if (SpoolLimit.DroppedFrom(_instance.DataDirectory, cycle) is { } first && _droppedReported.Add(cycle))
        {
            Log.WalDropped(_log, _instance.Name, cycle, first);
        }
    }

    /// <summary>A new cycle if one is due, the retirement of old spools, expiry.</summary>
    public async Task CycleRoundAsync(bool newCycleRequested, Action<string> status, CancellationToken ct)
    {
        await EnsureLoadedAsync(ct).ConfigureAwait(false);
        if (!_baseRecovered)
        {
            await SnapshotTaker.CleanupLeftoversAsync(_instance.DataDirectory, Tablespaces.Read(_instance.DataDirectory).Select(t => t.Path), _log, ct).ConfigureAwait(false);
            await _gates.WithArchiveAsync(() => RemoveCheckpointsAsync(_repo, walRepository: false, ct), ct).ConfigureAwait(false);
            _baseRecovered = true;
        }
        // before a new base, which may fail again: a round that cannot take a base still finishes earlier failures
        await _leftovers.RunAsync(_book, _gates, ct).ConfigureAwait(false);
        var reason = NewCycleReason(newCycleRequested);
        if (reason is not null)
        {
            await StartCycleAsync(reason, status, ct).ConfigureAwait(false);
        }
        await RetireOldSpoolsAsync(ct).ConfigureAwait(false);
        if (reason is not null || _expiry.Due)
        {
            status($"{_instance.Name}: expiring old cycles");
            var expired = await _expiry.RunAsync(_book, _gates, ct).ConfigureAwait(false);
            if (expired > 0)
            {
                await _gates.WithArchiveAsync(() => ExpireRestorePointsAsync(ct), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Both repositories exist and the book is read from them, once (checkpoints included, to remove them).</summary>
    private async Task EnsureLoadedAsync(CancellationToken ct)
    {
        if (_book.Loaded)
        {
            return;
        }
        await _loading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_book.Loaded)
            {
                return;
            }
            // under the gates: instances sharing a repository would otherwise race on its borg init
            await _gates.WithArchiveAsync(() => _repo.EnsureInitialisedAsync(ct), ct).ConfigureAwait(false);
            await _gates.WithWalAsync(() => _walRepo.EnsureInitialisedAsync(ct), ct).ConfigureAwait(false);
            var glob = ArchiveName.InstanceGlob(_host, _instance.Name);
            if (_repos.Shared)
            {
                _book.Load([], await _walRepo.ListAsync(glob, ct, considerCheckpoints: true).ConfigureAwait(false), shared: true);
                return;
            }
            // names of every archive (the manifest), comments of the archive repository's few and of the WAL archives
            // of the cycles pgcad still works with: not of every WAL archive of a long retention
            var archives = await _repo.ListAsync(glob, ct, considerCheckpoints: true).ConfigureAwait(false);
            var names = await _walRepo.ListAsync(glob, ct, considerCheckpoints: true, comments: false).ConfigureAwait(false);
            var needed = CycleCatalog.WalCommentsNeeded(CycleCatalog.Build(archives, names, _host, _instance.Name),
                SpoolDirectory.Cycles(_instance.DataDirectory));
            _book.Load(archives, await _repos.WithWalCommentsAsync(glob, names, needed, ct, considerCheckpoints: true).ConfigureAwait(false));
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>After a crash: Borg checkpoint archives of an interrupted create go.</summary>
    private async Task RemoveCheckpointsAsync(BorgRepository repo, bool walRepository, CancellationToken ct)
    {
        var checkpoints = _book.Checkpoints(walRepository);
        foreach (var c in checkpoints)
        {
            Log.RemovingLeftover(_log, _instance.Name, "Borg checkpoint archive", c);
        }
        await repo.DeleteAsync(checkpoints, ct, Heartbeat).ConfigureAwait(false);
        _book.Forget(checkpoints, walRepository);
    }

    /// <summary>Restore points older than the oldest remaining base can no longer be reached: their records go too.</summary>
    private async Task ExpireRestorePointsAsync(CancellationToken ct)
    {
        var oldest = _book.Cycles.Where(c => c.IsComplete).Select(c => c.Base!.StartedAt).DefaultIfEmpty(DateTimeOffset.MinValue).Min();
        var glob = $"{NameCodec.Encode(_host)}~{NameCodec.Encode(_instance.Name)}~*~{ArchiveName.RestorePointKind}~*";
        var points = await _repo.ListAsync(glob, ct, comments: false).ConfigureAwait(false);
        var unreachable = points.Select(p => p.Name)
            .Where(n => ArchiveName.TryParse(n, out var a) && a.Kind == ArchiveName.RestorePointKind && a.Time < oldest).ToList();
        if (unreachable.Count > 0)
        {
            await _repo.DeleteAsync(unreachable, ct, Heartbeat).ConfigureAwait(false);
            Log.RestorePointsExpired(_log, _instance.Name, unreachable.Count);
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
        // the repository takes WAL again (what waits for it is back under half the limit): a new base, because the
        // current cycle cannot be restored past the first WAL file wal-push dropped
        if (SpoolLimit.DroppedFrom(_instance.DataDirectory, current) is { } dropped
            && SpoolBacklog.Read(_instance.DataDirectory).Bytes < (_settings.SpoolMaxSize ?? long.MaxValue) / 2)
        {
            return $"wal-push dropped WAL from {dropped} on (spool_max_size), so this cycle cannot be restored past it";
        }
        var stored = _book.Get(current)!;
        // after a promotion (a restore to a target, a promoted standby) the server writes a new timeline that forked
        // before the end of this base or even before it started — then PostgreSQL refuses to follow the new timeline
        // from this base ("requested timeline is not a child of this server's history"), and the latest state could
        // not be restored until cycle_max_age brought a new base
        if (stored.NewestTimeline is { } timeline && timeline > stored.Base!.Timeline)
        {
            return $"its WAL reached timeline {timeline} while its base is on timeline {stored.Base.Timeline}";
        }
        // the cycle's age by pgcad's own clock (its stamp is pgcad's time at its start), never by the server's time in
        // the base's metadata: compared with a clock of another origin, a step of either would start a cycle every round
        if (Stamp.TryParse(current, out var startedAt) && DateTimeOffset.UtcNow - startedAt > _settings.CycleMaxAge)
        {
            return $"the cycle is older than cycle_max_age ({Duration.Format(_settings.CycleMaxAge)})";
        }
        var sizes = _book.Sizes(current);
        var baseCompressed = stored.Base!.CompressedSize ?? sizes.BaseCompressed;
        if (baseCompressed > 0 && sizes.WalCompressed > baseCompressed)
        {
            return $"its compressed WAL ({BorgRepository.FormatBytes(sizes.WalCompressed)}) outgrew its compressed base ({BorgRepository.FormatBytes(baseCompressed)})";
        }
        return null;
    }

    /// <summary>A new cycle's stamp (<see cref="Stamp.Next"/>): never before a spool or a stored cycle, even after a clock step back.</summary>
    internal static string NextCycleStamp(IEnumerable<string> spools, IEnumerable<string> stored, DateTimeOffset now) =>
        Stamp.Of(Stamp.Next(spools.Concat(stored), now));

    private async Task StartCycleAsync(string reason, Action<string> status, CancellationToken ct)
    {
        var cycle = NextCycleStamp(SpoolDirectory.Cycles(_instance.DataDirectory), _book.Cycles.Select(c => c.Stamp), DateTimeOffset.UtcNow);
        Log.CycleStarting(_log, _instance.Name, cycle, reason);
        status($"{_instance.Name}: base backup of cycle {cycle}");
        // snapshots live under one stable name (Borg's files cache is keyed on the path): one an earlier base could
        // not release would make every later base fail until a restart
        await SnapshotTaker.CleanupLeftoversAsync(_instance.DataDirectory, Tablespaces.Read(_instance.DataDirectory).Select(t => t.Path), _log, ct).ConfigureAwait(false);
        foreach (var skipped in await SpoolManager.CreateAsync(_instance, cycle, ct).ConfigureAwait(false))
        {
            Log.HistoryFileSkipped(_log, _instance.Name, cycle, skipped);
        }
        SpoolLimit.Apply(_instance, _settings.SpoolMaxSize);
        try
        {
            await using var session = await ServerSession.OpenAsync(_instance, ct).ConfigureAwait(false);
            var server = await session.SettingsAsync(ct).ConfigureAwait(false);
            SettingsCheck.Ensure(_instance, server, _binary);
            await session.WakeArchiverAsync(ct).ConfigureAwait(false);
            var result = await _gates.WithArchiveAsync(
                () => new BaseBackup(_repo, _host, _instance, _settings, _log, Heartbeat, Transfer).TakeAsync(session, server, cycle, ct), ct).ConfigureAwait(false);
            await CompleteAsync(session, cycle, result, ct).ConfigureAwait(false);
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
    /// A base counts only once the WAL up to its stop segment is in Borg. pg_backup_stop waited for that segment to be
    /// archived (into the spool), but its wait has a limit; this one is patient: it ingests the new spool until the
    /// segment is stored, as long as PostgreSQL's archiver makes progress (<see cref="StopSegmentWait"/>), then marks
    /// the base complete. A base that took hours is not thrown away because the archiver was slow.
    /// </summary>
    private async Task CompleteAsync(ServerSession session, string cycle, BaseBackup.Result result, CancellationToken ct)
    {
        var needed = result.Metadata.StopWalFile;
        var wait = new StopSegmentWait(cycle, needed);
        while (true)
        {
            var spooled = File.Exists(Path.Combine(SpoolDirectory.CycleDirectory(_instance.DataDirectory, cycle), needed));
            if (spooled || _book.Get(cycle)?.WalFiles.Contains(needed) == true)
            {
                await _gates.WithWalAsync(() => _ingest.IngestAsync(cycle, ct), ct).ConfigureAwait(false);
                if (_book.Get(cycle)?.WalFiles.Contains(needed) != true)
                {
                    throw new PgException($"the base backup of cycle {cycle} needs {needed}, which was not ingested");
                }
                break;
            }
            if (SpoolLimit.DroppedFrom(_instance.DataDirectory, cycle) is { } dropped)
            {
                throw new PgException($"the base backup of cycle {cycle} needs WAL up to {needed}, but wal-push dropped {dropped} "
                    + "from its spool (spool_max_size reached while the base ran); the base is given up");
            }
            var stats = await session.StatsAsync(ct).ConfigureAwait(false);
            if (wait.Observe(stats, DateTimeOffset.UtcNow) is { } giveUp)
            {
                throw new PgException(giveUp);
            }
            if (wait.ShouldReport(DateTimeOffset.UtcNow))
            {
                Log.WaitingForStopSegment(_log, _instance.Name, cycle, needed, stats.LastArchivedWal ?? "nothing yet");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
        }
        var complete = result.Metadata with { Complete = true };
        await _gates.WithArchiveAsync(() => _repo.SetCommentAsync(result.Archive, complete.ToJson(), ct, Heartbeat), ct).ConfigureAwait(false);
        Stamp.TryParse(cycle, out var cycleTime);
        var tablespaces = complete.Tablespaces.Select(t => new ArchiveName(_host, _instance.Name, _instance.MajorVersion, ArchiveName.TablespaceKind,
            [t.Oid.ToString(System.Globalization.CultureInfo.InvariantCulture)], cycleTime).ToString()).ToList();
        _book.AddBase(cycle, result.Archive, complete, tablespaces, result.Stats.CompressedSize);
    }

    /// <summary>
    /// A cycle whose base failed: its spool is removed, its archives are deleted. When that is cut short (a repository
    /// away, a connection cut, pgcad killed), a later round's <see cref="LeftoverCycles"/> finishes it.
    /// </summary>
    private async Task AbandonAsync(string cycle)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await _gates.WithWalAsync(async () =>
            {
                SpoolManager.MarkClosing(_instance, cycle);
                await SpoolManager.RemoveAsync(_instance, cycle, timeout.Token).ConfigureAwait(false);
            }, timeout.Token).ConfigureAwait(false);
            FaultInjection.Point("abandon-before-delete");
            // WAL the spool held is in the other spools too (every active spool receives every file)
            await _leftovers.DeleteAsync(cycle, _book, _gates, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BorgException or IOException or OperationCanceledException or ProcessFailedException)
        {
            Log.ArchiveRoundFailed(_log, _instance.Name, $"cleaning up the failed cycle {cycle}: {e.Message}; the next rounds retry");
        }
    }

    /// <summary>
    /// Every spool older than the newest complete cycle, and every abandoned one, is drained twice, consolidated and
    /// removed, all under the WAL repository's gate (so no WAL round works on it meanwhile).
    /// </summary>
    private async Task RetireOldSpoolsAsync(CancellationToken ct)
    {
        var current = CurrentCycle;
        if (current is null)
        {
            return;
        }
        foreach (var cycle in SpoolDirectory.Cycles(_instance.DataDirectory).Where(c => c != current))
        {
            await _gates.WithWalAsync(async () =>
            {
                SpoolManager.MarkClosing(_instance, cycle);
                await _ingest.IngestAsync(cycle, ct).ConfigureAwait(false);
                await Task.Delay(1000, ct).ConfigureAwait(false); // a wal-push that saw the spool open finishes
                await _ingest.IngestAsync(cycle, ct).ConfigureAwait(false);
                await _consolidation.ConsolidateAsync(cycle, ct, Heartbeat).ConfigureAwait(false);
                await SpoolManager.RemoveAsync(_instance, cycle, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            Log.CycleRetired(_log, _instance.Name, cycle, current);
        }
    }
}
