using Microsoft.Extensions.Logging;
using PgBorg.Configuration;
using PgBorg.Metrics;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.State;
using PgBorg.Systemd;

namespace PgBorg.Archiving;

/// <summary>
/// pgcad: one <see cref="ArchiveWorker"/> per instance, each with its own rounds every ingest_interval and its own
/// backoff, so an instance that is down, misconfigured or a standby is reported and retried while the others go on.
/// READY=1 once every instance has had its first round, STATUS= with each instance's state, WATCHDOG=1 while rounds
/// progress. SIGUSR1 starts a new cycle everywhere; SIGTERM ends cleanly (the session helper ends backup mode,
/// snapshots are released by the failing round's cleanup or the next start).
/// </summary>
public sealed class ArchiveDaemon(PgBorgConfig config, IReadOnlyList<PgInstance> instances, string host, string binary, ILogger log)
{
    private const int SigUsr1 = 10;

    /// <summary>Where each instance's base backup reports its bytes, if anywhere (an operator's progress display).</summary>
    public Func<PgInstance, IProgress<Borg.BorgTransfer>?>? TransferFor { get; init; }

    public async Task<int> RunAsync(bool once, bool newCycle, CancellationToken ct)
    {
        using var stateLock = StateLock.Acquire(config.StateDirectory, StateFile.ArchiveDaemon);
        await using var notifier = new ServiceNotifier();
        var exporter = new TextfileExporter(config.MetricsDirectory, StateFile.ArchiveDaemon, log);
        var state = new StateRecorder(config.StateDirectory, StateFile.ArchiveDaemon, s => exporter.Write(Metrics(s)));
        var gates = new Dictionary<string, SemaphoreSlim>(StringComparer.Ordinal);
        var workers = new List<ArchiveWorker>();
        workers.AddRange(instances.Select(i =>
        {
            var settings = config.ArchiveFor(i.Name);
            var location = settings.Repository.Location;
            if (!gates.TryGetValue(location, out var gate))
            {
                gates[location] = gate = new SemaphoreSlim(1, 1);
            }
            var instanceLog = new InstanceLogger(log, i.Name);
            var manager = new CycleManager(i, settings, config.StateDirectory, host, binary, instanceLog) { Heartbeat = notifier.Heartbeat, Transfer = TransferFor?.Invoke(i) };
            return new ArchiveWorker(manager, settings, gate, state, instanceLog) { RepositoryArchives = () => RepositoryArchives(location) };
        }));
        // instances sharing a repository report its archives together, not each its own share
        int RepositoryArchives(string location) => workers.Where(w => w.Manager.RepositoryLocation == location).Sum(w => w.Manager.ArchiveCount);
        using var usr1 = System.Runtime.InteropServices.PosixSignalRegistration.Create((System.Runtime.InteropServices.PosixSignal)SigUsr1, c =>
        {
            c.Cancel = true;
            workers.ForEach(w => w.RequestNewCycle());
        });
        void Progress(string _)
        {
            notifier.Status(string.Join("; ", workers.Select(w => w.Status)));
            notifier.Heartbeat();
        }
        try
        {
            if (once)
            {
                foreach (var w in workers)
                {
                    await w.RoundAsync(newCycle, Progress, ct).ConfigureAwait(false);
                }
                return workers.All(w => w.Failures == 0) ? ExitCodes.Success
                    : workers.All(w => w.FailedOnSettings) ? ExitCodes.Usage : ExitCodes.Failed;
            }
            var ready = false;
            void MaybeReady()
            {
                if (!ready && workers.All(w => w.HadFirstRound))
                {
                    ready = true;
                    notifier.Ready();
                }
            }
            await Task.WhenAll(workers.Select(w => LoopAsync(w, newCycle, Progress, MaybeReady, ct))).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            notifier.Stopping();
            Log.Stopping(log, "terminated by signal");
            return once ? ExitCodes.Failed : ExitCodes.Success;
        }
        finally
        {
            foreach (var gate in gates.Values)
            {
                gate.Dispose();
            }
        }
    }

    /// <summary>pgborg-pgcad.prom after each round.</summary>
    private string Metrics(DaemonState state) => new MetricsReport(config, DateTimeOffset.UtcNow)
        .AddDaemon(state, up: true)
        .AddArchive(state, instances)
        .Render();

    private static async Task LoopAsync(ArchiveWorker worker, bool newCycle, Action<string> progress, Action roundEnded, CancellationToken ct)
    {
        var first = true;
        while (true)
        {
            await worker.RoundAsync(newCycle && first, progress, ct).ConfigureAwait(false);
            first = false;
            progress("");
            roundEnded();
            await Task.Delay(worker.NextWait(), ct).ConfigureAwait(false);
        }
    }
}
