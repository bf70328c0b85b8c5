using Microsoft.Extensions.Logging;
using PgBorg.Progress;

namespace PgBorg.Cli.Progress;

/// <summary>Chooses the progress display for interactive work: a live bar when stderr is a terminal, plain lines otherwise.</summary>
internal static class ProgressDisplays
{
    public static IProgressDisplay Start(ILogger log)
    {
        // stderr, not stdout: stdout carries --json output or a dump, and may be a pipe while stderr is the terminal
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("TERM") == "dumb" || LiveConsoleWriter.Error is not { } error)
        {
            return new ProgressLines(log, ProgressLines.Interval);
        }
        return new TerminalProgress(error.Inner, TerminalWidth());
    }

    private static int TerminalWidth()
    {
        try
        {
            if (Console.WindowWidth > 0)
            {
                return Console.WindowWidth;
            }
        }
        catch (IOException)
        {
            // no terminal size to ask for (stdout redirected): the usual one below
        }
        return int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 80;
    }
}
