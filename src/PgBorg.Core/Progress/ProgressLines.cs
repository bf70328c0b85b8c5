using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PgBorg.Progress;

/// <summary>
/// Progress without a terminal (cron, a pipe, systemd): every <see cref="Interval"/> one log line per piece of work
/// Borg is busy with, on stderr like every log line, then one closing line for each that was shown, so a long restore
/// in a log says how far it got and how fast. Work that ends within one interval writes nothing.
/// </summary>
public sealed class ProgressLines : IProgressDisplay
{
    private readonly ILogger _log;
    private readonly List<TransferProgress> _work = [];
    private readonly HashSet<TransferProgress> _shown = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ProgressLines(ILogger log, TimeSpan interval)
    {
        _log = log;
        _loop = LoopAsync(interval);
    }

    /// <summary>30 s; <c>PGBORG_PROGRESS_INTERVAL</c> (seconds, fractions allowed) sets another, e.g. for tests.</summary>
    public static TimeSpan Interval =>
        double.TryParse(Environment.GetEnvironmentVariable("PGBORG_PROGRESS_INTERVAL"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.FromSeconds(30);

    public TransferProgress Track(string label, long? total)
    {
        var work = new TransferProgress(label, total);
        lock (_work)
        {
            _work.Add(work);
        }
        return work;
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                foreach (var work in Snapshot().Where(w => w.Active))
                {
                    Log.Progress(_log, work.Label, ProgressText.Figures(work.Read(_clock.Elapsed)));
                    _shown.Add(work);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed: the work is over
        }
    }

    private List<TransferProgress> Snapshot()
    {
        lock (_work)
        {
            return [.. _work];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        foreach (var work in Snapshot().Where(_shown.Contains))
        {
            work.End();
            Log.ProgressEnded(_log, work.Label, ProgressText.Summary(work.Read(_clock.Elapsed)));
        }
    }
}
