using System.Diagnostics;
using PgBorg.Progress;
using Spectre.Console;

namespace PgBorg.Cli.Progress;

/// <summary>
/// A live bar per piece of work on the terminal (stderr), drawn by Spectre.Console: its label, the bar (a moving
/// pulse while the total is unknown) and the figures. A bar appears once Borg first reports on its work; what the
/// program prints meanwhile goes above the bars (<see cref="LiveConsoleWriter"/>). The bars stay when it ends.
/// </summary>
internal sealed class TerminalProgress : IProgressDisplay
{
    /// <summary>How often the figures are read; Spectre redraws on its own clock.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private readonly List<TransferProgress> _work = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _drawing;
    private readonly IReadOnlyList<LiveConsoleWriter> _lines;

    /// <param name="lines">The writers whose lines go above the bars while they are drawn (stdout's and stderr's).</param>
    public TerminalProgress(IAnsiConsoleOutput terminal, IReadOnlyList<LiveConsoleWriter> lines)
    {
        _lines = lines;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
            Out = terminal,
        });
        foreach (var writer in lines)
        {
            writer.Attach(console);
        }
        _drawing = console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new TransferColumn())
            .StartAsync(DrawAsync);
    }

    public TransferProgress Track(string label, long? total)
    {
        var work = new TransferProgress(label, total);
        lock (_work)
        {
            _work.Add(work);
        }
        return work;
    }

    private async Task DrawAsync(ProgressContext context)
    {
        try
        {
            await DrawUntilStoppedAsync(context).ConfigureAwait(false);
        }
        finally
        {
            // Spectre's ending, which follows, takes its locks in the other order from printing a line: no line goes
            // to it from now on, however the drawing ended
            foreach (var writer in _lines)
            {
                writer.Hold();
            }
        }
    }

    private async Task DrawUntilStoppedAsync(ProgressContext context)
    {
        var bars = new Dictionary<TransferProgress, ProgressTask>();
        while (true)
        {
            var stopping = _stop.IsCancellationRequested;
            List<TransferProgress> work;
            lock (_work)
            {
                work = _work.Where(w => w.Started).ToList();
            }
            foreach (var w in work)
            {
                if (stopping)
                {
                    w.End();
                }
                if (!bars.TryGetValue(w, out var bar))
                {
                    bars[w] = bar = context.AddTask(Markup.Escape(w.Label), autoStart: true, maxValue: 1);
                }
                Show(bar, w.Read(_clock.Elapsed));
            }
            if (stopping)
            {
                foreach (var bar in bars.Values)
                {
                    bar.StopTask();
                }
                context.Refresh();
                return;
            }
            try
            {
                await Task.Delay(Tick, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // one last reading above, then stop
            }
        }
    }

    private static void Show(ProgressTask bar, TransferReading reading)
    {
        bar.Tag = reading;
        if (reading.Total is > 0 and var total)
        {
            bar.IsIndeterminate = false;
            bar.MaxValue = total;
            bar.Value = Math.Min(reading.Done, total);
        }
        else
        {
            bar.IsIndeterminate = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _drawing.ConfigureAwait(false);
        }
        finally
        {
            foreach (var writer in _lines)
            {
                try
                {
                    writer.Detach();
                }
                catch (IOException)
                {
                    // the terminal is gone: what was held is lost with it, and the command's own outcome stands
                }
            }
            _stop.Dispose();
        }
    }
}
