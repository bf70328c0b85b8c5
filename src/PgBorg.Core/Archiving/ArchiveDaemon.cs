using Microsoft.Extensions.Logging;
using PgBorg.Configuration;
using PgBorg.Metrics;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.State;
using PgBorg.Systemd;

namespace PgBorg.Archiving;

/// <summary>
/// pgcad: one <see cref="ArchiveWorker"/> per instance, each with its own WAL and cycle loops and their own backoff,
/// so an instance that is down, misconfigured or a standby is reported and retried while the others go on.
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
        SemaphoreSlim Gate(string location)
        {
            if (!gates.TryGetValue(location, out var gate))
            {
                gates[location] = gate = new SemaphoreSlim(1, 1);
            }
            return gate;
        }
        workers.AddRange(instances.Select(i =>
        {
            var settings = config.ArchiveFor(i.Name);
            var instanceLog = new InstanceLogger(log, i.Name);
            var repositoryGates = new RepositoryGates(Gate(settings.Repository.Location), Gate(settings.WalRepository.Location));
            var manager = new CycleManager(i, settings, repositoryGates, config.StateDirectory, host, binary, instanceLog)
            {
                Heartbeat = notifier.Heartbeat,
                Transfer = TransferFor?.Invoke(i),
            };
            return new ArchiveWorker(manager, settings, state, instanceLog) { RepositoryArchives = RepositoryArchives };
        }));
        // instances sharing a repository report its archives together, not each its own share
        IReadOnlyList<RepositoryState> RepositoryArchives() => workers
            .SelectMany(w => new[] { (w.Manager.RepositoryLocation, w.Manager.ArchiveCounts.Archive), (w.Manager.WalRepositoryLocation, w.Manager.ArchiveCounts.Wal) })
            .GroupBy(r => r.Item1, StringComparer.Ordinal)
            .Select(g => new RepositoryState(g.Key, g.Sum(r => r.Item2)))
            .ToList();
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
                    await w.OnceAsync(newCycle, Progress, ct).ConfigureAwait(false);
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
            await Task.WhenAll(workers.Select(w => w.RunAsync(newCycle, Progress, () =>
            {
                Progress("");
                MaybeReady();
            }, ct))).ConfigureAwait(false);
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
}
