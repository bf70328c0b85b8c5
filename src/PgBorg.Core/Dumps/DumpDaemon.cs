using Microsoft.Extensions.Logging;
using PgBorg.Configuration;
using PgBorg.PostgreSql;
using PgBorg.Processes;
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
        using var stateLock = StateLock.Acquire(config.StateDirectory, "pgdumpd");
        await using var notifier = new ServiceNotifier();
        var round = new DumpRound(config, host, log, notifier.Status, notifier.Heartbeat);
        var interval = instances.Select(i => config.DumpFor(i.Name).Interval).DefaultIfEmpty(TimeSpan.FromDays(1)).Min();
        var first = true;
        try
        {
            while (true)
            {
                var started = DateTimeOffset.UtcNow;
                notifier.Heartbeat();
                var outcomes = await round.RunAsync(instances, ct).ConfigureAwait(false);
                var failed = outcomes.Where(o => !o.Succeeded).ToList();
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
}
