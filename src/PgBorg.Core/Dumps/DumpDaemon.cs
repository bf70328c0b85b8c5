using Microsoft.Extensions.Logging;
using PgBorg.Configuration;
using PgBorg.Metrics;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.State;
using PgBorg.Systemd;

namespace PgBorg.Dumps;

/// <summary>
/// pgdumpd: a round at start, then one every <c>interval</c> (measured from the start of the previous round;
/// a round that overruns is followed by the next at once). READY=1 after the first round, STATUS= while working,
/// WATCHDOG=1 while making progress. Cancellation (SIGTERM) stops the running dump, removes its partial archive and returns.
/// </summary>
public sealed class DumpDaemon(PgBorgConfig config, IReadOnlyList<PgInstance> instances, string host, ILogger log)
{
    /// <summary>Runs one round (<paramref name="once"/>) or forever; returns the process exit code.</summary>
    public async Task<int> RunAsync(bool once, CancellationToken ct)
    {
        using var stateLock = StateLock.Acquire(config.StateDirectory, StateFile.DumpDaemon);
        await using var notifier = new ServiceNotifier();
        var round = new DumpRound(config, host, log, notifier.Status, notifier.Heartbeat);
        var interval = instances.Select(i => config.DumpFor(i.Name).Interval).DefaultIfEmpty(TimeSpan.FromDays(1)).Min();
        var exporter = new TextfileExporter(config.MetricsDirectory, StateFile.DumpDaemon, log);
        var state = new StateRecorder(config.StateDirectory, StateFile.DumpDaemon, s => exporter.Write(new MetricsReport(config, DateTimeOffset.UtcNow)
            .AddDaemon(s, up: true).AddDumps(s, instances.Select(i => i.Name)).Render()));
        var first = true;
        try
        {
            while (true)
            {
                var started = DateTimeOffset.UtcNow;
                notifier.Heartbeat();
                var outcomes = await round.RunAsync(instances, ct).ConfigureAwait(false);
                var failed = outcomes.Where(o => !o.Succeeded).ToList();
                Report(state, round, outcomes, started);
                if (once)
                {
                    return failed.Count == 0 ? 0 : 1;
                }
                if (first)
                {
                    notifier.Ready();
                    first = false;
                }
                var next = started + interval;
                notifier.Status(failed.Count == 0
                    ? $"last round {started:yyyy-MM-dd HH:mm} UTC: {outcomes.Count} ok; next at {next:yyyy-MM-dd HH:mm} UTC"
                    : $"last round {started:yyyy-MM-dd HH:mm} UTC: {failed.Count} failed ({string.Join("; ", failed.Select(f => $"{f.Instance} {f.What}"))}); retry at {next:yyyy-MM-dd HH:mm} UTC");
                Log.NextRound(log, next);
                while (DateTimeOffset.UtcNow < next)
                {
                    notifier.Heartbeat();
                    var wait = next - DateTimeOffset.UtcNow;
                    await Task.Delay(wait < TimeSpan.FromSeconds(5) ? wait : TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            notifier.Stopping();
            Log.Stopping(log, "terminated by signal");
            return once ? 1 : 0;
        }
    }

    /// <summary>The state file and the metrics after a round; a database this round did not reach keeps its newest dump.</summary>
    private void Report(StateRecorder state, DumpRound round, IReadOnlyList<DumpRound.Outcome> outcomes, DateTimeOffset started)
    {
        var now = DateTimeOffset.UtcNow;
        var seconds = (now - started).TotalSeconds;
        var instanceStates = instances.Select(i =>
        {
            var failure = outcomes.FirstOrDefault(o => o.Instance == i.Name && !o.Series && !o.Succeeded);
            var previous = state.Instance(i.Name);
            return new InstanceState(i.Name, now, seconds, failure is null ? InstanceState.Ok : InstanceState.Failed, failure?.Error,
                failure is null ? now : previous?.LastSuccessAt, failure is null ? 0 : (previous?.ConsecutiveFailures ?? 0) + 1);
        }).ToList();
        var databases = outcomes.Where(o => o.Series).Select(o =>
        {
            var previous = state.Database(o.Instance, o.Database);
            var newest = round.NewestDumps.TryGetValue((o.Instance, o.Database), out var listed) ? listed : previous?.NewestDumpAt;
            return o.Succeeded
                ? new DatabaseState(o.Instance, o.Database, InstanceState.Ok, null, now, o.DumpedAt, o.Size, o.Seconds)
                : new DatabaseState(o.Instance, o.Database, InstanceState.Failed, o.Error, now, newest,
                    previous?.NewestDumpAt == newest ? previous?.NewestDumpSize : null, previous?.NewestDumpAt == newest ? previous?.NewestDumpSeconds : null);
        }).ToList();
        try
        {
            state.Report(instanceStates, databases, round.ArchiveCounts.Select(r => new RepositoryState(r.Key, r.Value)).ToList());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StateNotWritten(log, "pgdumpd", e.Message);
        }
    }
}
