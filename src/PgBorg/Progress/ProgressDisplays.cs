using Microsoft.Extensions.Logging;
using PgBorg.Progress;

namespace PgBorg.Cli.Progress;

/// <summary>Chooses the progress display for interactive work: a live bar when stderr is a terminal, plain lines otherwise.</summary>
internal static class ProgressDisplays
{
    public static IProgressDisplay Start(ILogger log)
    {
        // stderr, not stdout: stdout carries --json output or a dump, and may be a pipe while stderr is the terminal
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("TERM") == "dumb"
            || LiveConsoleWriter.Out is not { } stdout || LiveConsoleWriter.Error is not { } stderr)
        {
            return new ProgressLines(log, ProgressLines.Interval);
        }
        return new TerminalProgress(new TerminalOutput(StandardError, SizeFromEnvironment()), [stdout, stderr]);
    }

    private const int StandardError = 2;

    /// <summary>The size to draw for when the kernel cannot tell stderr's (COLUMNS and LINES, else 80 by 24).</summary>
    private static (int Columns, int Lines) SizeFromEnvironment()
    {
        var columns = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var c) && c > 0 ? c : 80;
        var lines = int.TryParse(Environment.GetEnvironmentVariable("LINES"), out var l) && l > 0 ? l : 24;
        return (columns, lines);
    }
}
