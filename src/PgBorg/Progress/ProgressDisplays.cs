using Microsoft.Extensions.Logging;
using PgBorg.Progress;

namespace PgBorg.Cli.Progress;

/// <summary>Chooses the progress display for interactive work: a live bar when stderr is a terminal, plain lines otherwise.</summary>
internal static class ProgressDisplays
{
    public static IProgressDisplay Start(ILogger log)
    {
        // stderr, not stdout: stdout carries --json output or a dump, and may be a pipe while stderr is the terminal
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("TERM") == "dumb" || LiveConsoleWriter.Error is null)
        {
            return new ProgressLines(log, ProgressLines.Interval);
        }
        var (width, height) = TerminalSize();
        return new TerminalProgress(new TerminalOutput(DirectWriter.Open(StandardError), width, height));
    }

    private const int StandardError = 2;

    /// <summary>Asked once, before the bar is drawn: the drawing thread must not ask System.Console (see <see cref="DirectWriter"/>).</summary>
    private static (int Width, int Height) TerminalSize()
    {
        try
        {
            if (Console.WindowWidth > 0 && Console.WindowHeight > 0)
            {
                return (Console.WindowWidth, Console.WindowHeight);
            }
        }
        catch (IOException)
        {
            // no terminal size to ask for (stdout redirected): the usual one below
        }
        var columns = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var c) && c > 0 ? c : 80;
        var lines = int.TryParse(Environment.GetEnvironmentVariable("LINES"), out var l) && l > 0 ? l : 24;
        return (columns, lines);
    }
}
