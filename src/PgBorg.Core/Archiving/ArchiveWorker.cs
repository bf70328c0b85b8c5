using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgBorg.Configuration;
using PgBorg.PostgreSql;
using PgBorg.State;

namespace PgBorg.Archiving;

/// <summary>
/// pgcad's loop for one instance: its own rounds, its own failures and its own backoff, so one instance that is down,
/// misconfigured or a standby never holds up the WAL of the others. Instances that share a repository take turns
/// through <paramref name="repositoryGate"/> (one Borg writer at a time anyway) instead of timing out on its lock.
/// After each round it reports what it knows to <paramref name="state"/> (the state file and the metrics).
/// </summary>
public sealed class ArchiveWorker(CycleManager manager, ArchiveSettings settings, SemaphoreSlim repositoryGate, StateRecorder state, ILogger log)
{
    /// <summary>The archives of every instance sharing this instance's repository (the daemon knows them all).</summary>
    public Func<int>? RepositoryArchives { get; init; }

    /// <summary>The longest wait between two attempts of a failing instance.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private int _newCycleRequested;
    private bool _settingsChecked;

    public CycleManager Manager => manager;

    public string Name => manager.Instance.Name;

    /// <summary>What this instance is doing, or why it fails: its part of systemd's STATUS=.</summary>
    public string Status { get; private set; } = "starting";

    /// <summary>Consecutive failed rounds (0 after a successful one).</summary>
    public int Failures { get; private set; }

    /// <summary>True once the first round ended, whether it succeeded or failed (and was reported).</summary>
    public bool HadFirstRound { get; private set; }

    /// <summary>The last round failed only because the server is not (or not the right one) to archive: exit 2 for --once.</summary>
    public bool FailedOnSettings { get; private set; }

    public void RequestNewCycle() => Interlocked.Exchange(ref _newCycleRequested, 1);

    /// <summary>One round; false (logged, in <see cref="Status"/>) when it failed. Cancellation propagates.</summary>
    public async Task<bool> RoundAsync(bool newCycle, Action<string> progress, CancellationToken ct)
    {
        var requested = newCycle | Interlocked.Exchange(ref _newCycleRequested, 0) == 1;
        var watch = Stopwatch.StartNew();
        string? error = null;
        try
        {
            if (!_settingsChecked)
            {
                Status = "checking settings";
                progress(Name + ": checking settings");
                await manager.EnsureArchivableAsync(ct).ConfigureAwait(false);
                _settingsChecked = true;
            }
            await repositoryGate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await manager.RoundAsync(requested, s => { Status = s; progress(s); }, ct).ConfigureAwait(false);
            }
            finally
            {
                repositoryGate.Release();
            }
            Failures = 0;
            FailedOnSettings = false;
            Status = manager.CurrentCycle is { } cycle ? $"{Name}: cycle {cycle}" : $"{Name}: no complete cycle";
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (requested)
            {
                RequestNewCycle(); // the request stands until a round carries it out
            }
            Failures++;
            FailedOnSettings = e is SettingsException;
            // a server that failed once may have been reconfigured or replaced: check it again before the next round
            _settingsChecked = false;
            error = IsExpected(e) ? e.Message : $"{e.GetType().Name}: {e.Message}";
            Log.ArchiveRoundFailed(log, Name, error);
            Status = $"{Name}: failing ({Failures}x): {e.Message}";
            return false;
        }
        finally
        {
            HadFirstRound = true;
            if (!ct.IsCancellationRequested)
            {
                await ReportAsync(watch.Elapsed, error, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The state file and the metrics after a round: the catalog in memory plus PostgreSQL's own view.</summary>
    private async Task ReportAsync(TimeSpan elapsed, string? error, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var previous = state.Instance(Name);
        var postgres = await ArchiverStatsAsync(ct).ConfigureAwait(false);
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
            state.Report([instance], [], [new RepositoryState(manager.RepositoryLocation, RepositoryArchives?.Invoke() ?? manager.ArchiveCount)]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // archiving goes on without its report; the next round tries again
            Log.StateNotWritten(log, Name, e.Message);
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

    /// <summary>After a round: the instance's ingest_interval, or after failures a doubling backoff up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan NextWait() => Failures == 0
        ? settings.IngestInterval
        : TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, settings.IngestInterval.TotalSeconds * Math.Pow(2, Math.Min(Failures, 8))));
}
