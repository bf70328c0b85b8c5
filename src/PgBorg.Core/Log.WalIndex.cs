using Microsoft.Extensions.Logging;

namespace PgBorg;

/// <summary>Messages of the WAL index (issue 11): 400-419.</summary>
internal static partial class Log
{
    [LoggerMessage(400, LogLevel.Warning, "{Instance}: pg_waldump could not read all records of {First}..{Last} (exit {Exit}: {Error}); "
        + "those segments are stored without restore points and commit times")]
    public static partial void WalNotIndexed(ILogger logger, string instance, string first, string last, int exit, string error);

    [LoggerMessage(401, LogLevel.Warning, "{Instance}: {Tool} does not exist; WAL is stored without its index (restore points and commit times), "
        + "so restores cannot check targets against it: install this major's pg_waldump (Debian: postgresql-NN)")]
    public static partial void WalIndexerMissing(ILogger logger, string instance, string tool);
}
