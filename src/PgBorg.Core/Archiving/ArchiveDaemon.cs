using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.Systemd;

namespace PgBorg.Archiving;

/// <summary>
/// pgcad: checks every instance's settings (exit 2 with what to set), then runs rounds every ingest_interval.
/// READY=1 once every instance has a complete cycle, STATUS= with what it is doing, WATCHDOG=1 while rounds progress.
/// A failing round is logged and retried with backoff (the WAL waits safely in the spool); SIGTERM ends cleanly
/// (the session helper ends backup mode, snapshots are released by the failing round's cleanup or the next start).
/// </summary>
public sealed class ArchiveDaemon(PgBorgConfig config, IReadOnlyList<PgInstance> instances, string host, string binary, ILogger log)
{
    public async Task<int> RunAsync(bool once, bool newCycle, CancellationToken ct)
    {
        using var stateLock = StateLock.Acquire(config.StateDirectory, "pgcad");
        await using var notifier = new ServiceNotifier();
        var managers = instances.Select(i => new CycleManager(i, config.ArchiveFor(i.Name), config.StateDirectory, host, binary, log) { Heartbeat = notifier.Heartbeat }).ToList();
        // SIGUSR1: start a new cycle (a new base backup) in the next round, as --new-cycle does at start
        var requestNewCycle = 0;
        using var usr1 = System.Runtime.InteropServices.PosixSignalRegistration.Create((System.Runtime.InteropServices.PosixSignal)10, c =>
        {
            c.Cancel = true;
            Interlocked.Exchange(ref requestNewCycle, 1);
        });
        try
        {
            foreach (var m in managers)
            {
                notifier.Status($"{m.Instance.Name}: checking settings");
                var (settings, problems) = await m.CheckSettingsAsync(ct).ConfigureAwait(false);
                if (problems.Count > 0)
                {
                    throw new SettingsException(SettingsCheck.Describe(m.Instance, settings, problems));
                }
            }
            var ready = false;
            var failures = 0;
            var requested = newCycle;
            while (true)
            {
                var failed = new List<string>();
                requested |= Interlocked.Exchange(ref requestNewCycle, 0) == 1;
                foreach (var m in managers)
                {
                    notifier.Heartbeat();
                    try
                    {
                        await m.RoundAsync(requested, s => { notifier.Status(s); notifier.Heartbeat(); }, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is BorgException or PgException or ProcessFailedException or IOException
                        or UnauthorizedAccessException or InvalidDataException or Snapshots.SnapshotException)
                    {
                        Log.ArchiveRoundFailed(log, m.Instance.Name, e.Message);
                        failed.Add($"{m.Instance.Name}: {e.Message}");
                    }
                }
                requested = false;
                if (once)
                {
                    return failed.Count == 0 ? 0 : 1;
                }
                if (!ready && managers.All(m => m.CurrentCycle is not null))
                {
                    notifier.Ready();
                    ready = true;
                }
                failures = failed.Count == 0 ? 0 : failures + 1;
                notifier.Status(failed.Count == 0
                    ? string.Join("; ", managers.Select(m => $"{m.Instance.Name}: cycle {m.CurrentCycle}"))
                    : $"failing ({failures}x): {string.Join("; ", failed)}");
                var interval = managers.Select(m => config.ArchiveFor(m.Instance.Name).IngestInterval).Min();
                var wait = failures == 0 ? interval : TimeSpan.FromSeconds(Math.Min(300, interval.TotalSeconds * Math.Pow(2, Math.Min(failures, 8))));
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            notifier.Stopping();
            Log.Stopping(log, "terminated by signal");
            return once ? 1 : 0;
        }
    }
}
