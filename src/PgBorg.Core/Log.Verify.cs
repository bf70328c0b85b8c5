using Microsoft.Extensions.Logging;

namespace PgBorg;

/// <summary>pgborg verify (ids 360–379, apart from the rest so parallel work does not collide).</summary>
internal static partial class Log
{
    [LoggerMessage(360, LogLevel.Information, "verify {Instance}: reading back {Count} archive(s)")]
    public static partial void VerifyReadingBack(ILogger logger, string instance, int count);

    [LoggerMessage(361, LogLevel.Information, "verify {Instance}: restoring cycle {Cycle} into {Directory}")]
    public static partial void VerifyRestoring(ILogger logger, string instance, string cycle, string directory);

    [LoggerMessage(362, LogLevel.Warning, "verify {Instance}: cleaning up {Directory}: {Reason}")]
    public static partial void VerifyCleanupFailed(ILogger logger, string instance, string directory, string reason);
}
