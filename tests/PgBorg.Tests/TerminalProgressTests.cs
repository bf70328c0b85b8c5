using System.IO.Pipes;
using System.Text;
using System.Text.RegularExpressions;
using PgBorg.Borg;
using PgBorg.Cli.Progress;

namespace PgBorg.Tests;

/// <summary>
/// The live bar (Spectre.Console) on a pipe standing in for the terminal. A restore once hung in CI: the thread printing
/// a line held Console.Out's lock and waited for the bar's, while the bar's drawing thread held its own and waited for
/// Console.Out's. The bar must draw, and end, whatever holds Console.Out; lines printed meanwhile all arrive, once.
/// </summary>
[Collection(ConsoleOutCollection.Name)]
public sealed partial class TerminalProgressTests : IDisposable
{
    private readonly AnonymousPipeServerStream _terminal = new(PipeDirection.In);
    private readonly MemoryStream _drawn = new();
    private readonly Task _reading;

    public TerminalProgressTests()
    {
        _reading = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            int n;
            while ((n = await _terminal.ReadAsync(buffer)) > 0)
            {
                lock (_drawn)
                {
                    _drawn.Write(buffer, 0, n);
                }
            }
        });
    }

    public void Dispose()
    {
        _terminal.DisposeLocalCopyOfClientHandle();
        _terminal.Dispose();
    }

    private TerminalOutput Output() => new((int)_terminal.ClientSafePipeHandle.DangerousGetHandle(), (120, 30));

    private long Drawn()
    {
        lock (_drawn)
        {
            return _drawn.Length;
        }
    }

    /// <summary>Closes the terminal's writing end and returns everything drawn.</summary>
    private async Task<string> EndAsync()
    {
        _terminal.DisposeLocalCopyOfClientHandle();
        await _reading.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        return Encoding.UTF8.GetString(_drawn.ToArray());
    }

    [Fact]
    public async Task The_bar_draws_and_ends_while_Console_Out_is_locked()
    {
        var display = new TerminalProgress(Output(), []);
        var work = display.Track("restore of main", 1000);
        work.Report(new BorgTransfer(1, 10, 1000, false));
        using (ConsoleOutLock.Hold())
        {
            var before = Drawn();
            for (var i = 2; i <= 20; i++)
            {
                work.Report(new BorgTransfer(1, 10 * i, 1000, false));
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            Assert.True(Drawn() > before, "nothing was drawn in 2 s while Console.Out was locked");
            await display.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        Assert.Contains("restore of main", await EndAsync());
    }

    [Fact]
    public async Task Lines_printed_while_bars_start_draw_and_end_arrive_each_once()
    {
        var stream = new StringWriter();
        var writer = new LiveConsoleWriter(stream, isTerminal: true);
        var console = writer.Synchronized();
        using var stop = new CancellationTokenSource();
        var printed = 0;
        var printing = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                console.WriteLine($"line {printed}");
                printed++;
                Thread.Sleep(1);
            }
        });
        for (var round = 0; round < 8; round++)
        {
            var display = new TerminalProgress(Output(), [writer]);
            display.Track("restore of main", 100).Report(new BorgTransfer(1, 50, 100, false));
            await Task.Delay(200, TestContext.Current.CancellationToken);
            await display.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        await stop.CancelAsync();
        await printing.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var above = Numbered().Matches(await EndAsync()).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        var direct = Numbered().Matches(stream.ToString()).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(above);
        Assert.NotEmpty(direct);
        Assert.Equal(Enumerable.Range(0, printed), above.Concat(direct).Order());
    }

    [GeneratedRegex(@"line (\d+)\b")]
    private static partial Regex Numbered();
}
