using Microsoft.Extensions.Logging;
using PgBorg.Configuration;

namespace PgBorg.Archiving;

/// <summary>
/// pgcad's loop for one instance: its own rounds, its own failures and its own backoff, so one instance that is down,
/// misconfigured or a standby never holds up the WAL of the others. Instances that share a repository take turns
/// through <paramref name="repositoryGate"/> (one Borg writer at a time anyway) instead of timing out on its lock.
/// </summary>
public sealed class ArchiveWorker(CycleManager manager, ArchiveSettings settings, SemaphoreSlim repositoryGate, ILogger log)
{
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
            Log.ArchiveRoundFailed(log, Name, IsExpected(e) ? e.Message : $"{e.GetType().Name}: {e.Message}");
            Status = $"{Name}: failing ({Failures}x): {e.Message}";
            return false;
        }
        finally
        {
            HadFirstRound = true;
        }
    }

    /// <summary>Failures of the world (Borg, PostgreSQL, the filesystem) rather than of pgborg itself.</summary>
    private static bool IsExpected(Exception e) => e is SettingsException or Borg.BorgException or PostgreSql.PgException
        or Processes.ProcessFailedException or IOException or UnauthorizedAccessException or InvalidDataException or Snapshots.SnapshotException or Borg.BorgArchiveIncompleteException;

    /// <summary>After a round: the instance's ingest_interval, or after failures a doubling backoff up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan NextWait() => Failures == 0
        ? settings.IngestInterval
        : TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, settings.IngestInterval.TotalSeconds * Math.Pow(2, Math.Min(Failures, 8))));
}
