using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace PgBorg.Cli;

/// <summary>Logs go to stderr: one line each, journald-formatted when started by systemd.</summary>
internal static class Logging
{
    public static ILoggerFactory Create(string level)
    {
        var min = level.ToLowerInvariant() switch
        {
            "debug" => LogLevel.Debug,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => LogLevel.Information,
        };
        var underSystemd = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null;
        return LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(min);
            b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            if (underSystemd)
            {
                b.AddSystemdConsole(o => o.IncludeScopes = false);
            }
            else
            {
                b.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
                    o.IncludeScopes = false;
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
            }
        });
    }
}
