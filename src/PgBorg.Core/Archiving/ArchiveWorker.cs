using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgBorg.Configuration;
using PgBorg.PostgreSql;
using PgBorg.State;

namespace PgBorg.Archiving;

/// <summary>
/// pgcad's loops for one instance: a WAL loop (ingest and consolidation, every ingest_interval) and a cycle loop
/// (bases, retirement, expiry), each with its own failures and backoff, so neither a long base nor a server that is
/// down holds up the WAL, and one instance never holds up another. After each round it reports what it knows to
/// <paramref name="state"/> (the state file and the metrics).
/// </summary>
public sealed class ArchiveWorker(CycleManager manager, ArchiveSettings settings, StateRecorder state, ILogger log)
{
    /// <summary>The archives of every instance sharing this instance's repositories (the daemon knows them all).</summary>
    public Func<IReadOnlyList<RepositoryState>>? RepositoryArchives { get; init; }

    /// <summary>The longest wait between two attempts of a failing cycle loop.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest wait between two attempts of a failing WAL loop: once the repository is back (a disk remounted, a
    /// network restored), the WAL piled up in the spool is what is at risk, and a retry costs one small Borg call.
    /// </summary>
    public static readonly TimeSpan MaxWalBackoff = TimeSpan.FromMinutes(1);

    private int _newCycleRequested;
    private bool _settingsChecked;
    private string? _walError;
    private string? _cycleError;
    private string _cycleStatus = "starting";
    private readonly Lock _archiverReport = new();
    private DateTimeOffset? _archiverFailureReported;

    public CycleManager Manager => manager;

    public string Name => manager.Instance.Name;

    /// <summary>What this instance is doing, or why it fails: its part of systemd's STATUS=.</summary>
    public string Status => _walError is not null ? $"{Name}: WAL failing ({WalFailures}x): {_walError}" : _cycleStatus;

    /// <summary>Consecutive failed WAL rounds (0 after a successful one).</summary>
    public int WalFailures { get; private set; }

    /// <summary>Consecutive failed cycle rounds (0 after a successful one).</summary>
    public int CycleFailures { get; private set; }

    /// <summary>Consecutive failures of whichever loop fails more.</summary>
    public int Failures => Math.Max(WalFailures, CycleFailures);

    /// <summary>True once the first round ended, whether it succeeded or failed (and was reported).</summary>
    public bool HadFirstRound { get; private set; }

    /// <summary>The last cycle round failed only because the server is not (or not the right one) to archive: exit 2 for --once.</summary>
    public bool FailedOnSettings { get; private set; }

    public void RequestNewCycle() => Interlocked.Exchange(ref _newCycleRequested, 1);

    /// <summary>pgcad --once: a WAL round, then a cycle round.</summary>
    public async Task OnceAsync(bool newCycle, Action<string> progress, CancellationToken ct)
    {
        await WalRoundAsync(ct).ConfigureAwait(false);
        await CycleRoundAsync(newCycle, progress, ct).ConfigureAwait(false);
        HadFirstRound = true;
    }

    /// <summary>The daemon: both loops until cancelled. <paramref name="roundEnded"/> after each round of either.</summary>
    public Task RunAsync(bool newCycle, Action<string> progress, Action roundEnded, CancellationToken ct) => Task.WhenAll(
        LoopAsync(() => WalRoundAsync(ct), () => Wait(WalFailures, MaxWalBackoff), roundEnded, ct),
        LoopAsync(async () =>
        {
            await CycleRoundAsync(newCycle, progress, ct).ConfigureAwait(false);
            newCycle = false;
            HadFirstRound = true; // READY=1 once every instance had its first cycle round, as before the loops were split
            return true;
        }, () => Wait(CycleFailures, MaxBackoff), roundEnded, ct));

    private static async Task LoopAsync<T>(Func<Task<T>> round, Func<TimeSpan> wait, Action roundEnded, CancellationToken ct)
    {
        while (true)
        {
            await round().ConfigureAwait(false);
            roundEnded();
            await Task.Delay(wait(), ct).ConfigureAwait(false);
        }
    }

    /// <summary>One WAL round; false (logged, in <see cref="Status"/>) when it failed. Cancellation propagates.</summary>
    public async Task<bool> WalRoundAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await manager.WalRoundAsync(ct).ConfigureAwait(false);
            WalFailures = 0;
            _walError = null;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            WalFailures++;
            _walError = Describe(e);
            Log.ArchiveRoundFailed(log, Name, "archiving WAL: " + _walError);
            return false;
        }
        finally
        {
            if (!ct.IsCancellationRequested)
            {
                await ReportAsync(watch.Elapsed, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One cycle round; false (logged, in <see cref="Status"/>) when it failed. Cancellation propagates.</summary>
    public async Task<bool> CycleRoundAsync(bool newCycle, Action<string> progress, CancellationToken ct)
    {
        var requested = newCycle | Interlocked.Exchange(ref _newCycleRequested, 0) == 1;
        var watch = Stopwatch.StartNew();
        try
        {
            if (!_settingsChecked)
            {
                _cycleStatus = Name + ": checking settings";
                progress(_cycleStatus);
                await manager.EnsureArchivableAsync(ct).ConfigureAwait(false);
                _settingsChecked = true;
            }
            await manager.CycleRoundAsync(requested, s => { _cycleStatus = s; progress(s); }, ct).ConfigureAwait(false);
            CycleFailures = 0;
            FailedOnSettings = false;
            _cycleError = null;
            _cycleStatus = manager.CurrentCycle is { } cycle ? $"{Name}: cycle {cycle}" : $"{Name}: no complete cycle";
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (requested)
            {
                RequestNewCycle(); // the request stands until a round carries it out
            }
            CycleFailures++;
            FailedOnSettings = e is SettingsException;
            // a server that failed once may have been reconfigured or replaced: check it again before the next round
            _settingsChecked = false;
            _cycleError = Describe(e);
            Log.ArchiveRoundFailed(log, Name, _cycleError);
            _cycleStatus = $"{Name}: failing ({CycleFailures}x): {e.Message}";
            return false;
        }
        finally
        {
            if (!ct.IsCancellationRequested)
            {
                await ReportAsync(watch.Elapsed, ct).ConfigureAwait(false);
            }
        }
    }

    private static string Describe(Exception e) => IsExpected(e) ? e.Message : $"{e.GetType().Name}: {e.Message}";

    /// <summary>The state file and the metrics after a round: the catalog in memory plus PostgreSQL's own view.</summary>
    private async Task ReportAsync(TimeSpan elapsed, CancellationToken ct)
    {
        var error = _walError is not null ? "archiving WAL: " + _walError : _cycleError;
        var now = DateTimeOffset.UtcNow;
        var previous = state.Instance(Name);
        var postgres = await ArchiverStatsAsync(ct).ConfigureAwait(false);
        ReportArchiverFailure(postgres);
        var cycles = manager.StoredCycles;
        var complete = cycles.Where(c => c.IsComplete).ToList();
        var newest = complete.LastOrDefault()?.Base;
        // names sort as WAL does (timeline first): the greatest segment name is the newest segment
        var newestWal = cycles.SelectMany(c => c.WalBatches).Select(w => w.Metadata).OfType<WalBatchMetadata>()
            .SelectMany(m => m.Files.Where(f => WalFileName.Classify(f) == WalFileKind.Segment).Select(f => (File: f, m.CreatedAt)))
            .OrderBy(w => w.File, StringComparer.Ordinal).Select(w => ((string File, DateTimeOffset StoredAt)?)w).LastOrDefault();
        var newestSegment = newestWal?.File;
        var caughtUp = postgres is not null && WalLag.Segments(postgres.CurrentWal, newestSegment, postgres.WalSegmentSize) == 0
            ? now : previous?.WalCaughtUpAt;
        var instance = new InstanceState(Name, now, elapsed.TotalSeconds, error is null ? InstanceState.Ok : InstanceState.Failed, error,
            error is null ? now : previous?.LastSuccessAt, Failures,
            complete.Count,
            newest is null ? null : new BaseState(newest.Cycle, newest.StartedAt, newest.StoppedAt, newest.Method, newest.OriginalSize, newest.CompressedSize),
            newestSegment, newestWal?.StoredAt, caughtUp,
            complete.FirstOrDefault()?.Base?.StoppedAt,
            postgres);
        try
        {
            var counts = manager.ArchiveCounts;
            state.Report([instance], [], RepositoryArchives?.Invoke()
                ?? [new RepositoryState(manager.RepositoryLocation, counts.Archive), new RepositoryState(manager.WalRepositoryLocation, counts.Wal)]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // archiving goes on without its report; the next round tries again
            Log.StateNotWritten(log, Name, e.Message);
        }
    }

    /// <summary>
    /// Logs each new failure of PostgreSQL's archiver (wal-push found a full disk, a spool it cannot write): WAL that
    /// never reaches a spool is invisible to the WAL loop, and PostgreSQL keeps it in pg_wal until its own disk fills.
    /// </summary>
    private void ReportArchiverFailure(ArchiverStats? postgres)
    {
        lock (_archiverReport)
        {
            if (postgres is { Failing: true, LastFailedAt: { } at } && at != _archiverFailureReported)
            {
                _archiverFailureReported = at;
                Log.ArchiverFailing(log, Name, postgres.LastFailedWal ?? "?", at, postgres.FailedCount);
            }
        }
    }

    /// <summary>pg_stat_archiver; null (and the metrics without it) when the server cannot be asked.</summary>
    private async Task<ArchiverStats?> ArchiverStatsAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            await using var session = await ServerSession.OpenAsync(manager.Instance, timeout.Token).ConfigureAwait(false);
            return await session.StatsAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PgException or IOException or Processes.ProcessFailedException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>Failures of the world (Borg, PostgreSQL, the filesystem) rather than of pgborg itself.</summary>
    private static bool IsExpected(Exception e) => e is SettingsException or Borg.BorgException or PgException
        or Processes.ProcessFailedException or IOException or UnauthorizedAccessException or InvalidDataException or Snapshots.SnapshotException or Borg.BorgArchiveIncompleteException;

    /// <summary>After a round: the instance's ingest_interval, or after failures a doubling backoff up to <paramref name="max"/>.</summary>
    private TimeSpan Wait(int failures, TimeSpan max) => failures == 0
        ? settings.IngestInterval
        : TimeSpan.FromSeconds(Math.Min(max.TotalSeconds, settings.IngestInterval.TotalSeconds * Math.Pow(2, Math.Min(failures, 8))));
}
