using Microsoft.Extensions.Logging;
using PgBorg.Processes;

namespace PgBorg.Metrics;

/// <summary>
/// Writes <c>pgborg-DAEMON.prom</c> into node exporter's textfile directory, by temporary file and rename (the
/// exporter must never read half a file; it ignores names not ending in .prom, so the temporary is skipped).
/// A directory that does not exist means no node exporter here: nothing is written and nothing is logged.
/// </summary>
public sealed class TextfileExporter(string? directory, string daemon, ILogger log)
{
    public static string FileName(string daemon) => $"pgborg-{daemon}.prom";

    public void Write(string text)
    {
        if (directory is null || !Directory.Exists(directory))
        {
            return;
        }
        try
        {
            // node exporter runs as its own user; the daemons' units set UMask=0077
            AtomicFile.Write(Path.Combine(directory, FileName(daemon)), text,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.MetricsNotWritten(log, directory, e.Message);
        }
    }
}
