using Microsoft.Extensions.Logging;

namespace PgBorg;

/// <summary>Every log message of pgborg, source-generated, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "borg {Command}: {Message}")]
    public static partial void BorgWarning(ILogger logger, string command, string message);

    [LoggerMessage(3, LogLevel.Information, "borg {Command}: {Message}")]
    public static partial void BorgNotice(ILogger logger, string command, string message);

    [LoggerMessage(2, LogLevel.Information, "initialising Borg repository {Repository} (repokey-blake2)")]
    public static partial void InitialisingRepository(ILogger logger, string repository);

    [LoggerMessage(10, LogLevel.Information, "{Instance}: dumped {What} into {Archive}: {Size} dumped, {Added} new in the repository, {Seconds:0.0} s")]
    public static partial void Dumped(ILogger logger, string instance, string what, string archive, string size, string added, double seconds);

    [LoggerMessage(11, LogLevel.Error, "{Instance}: dump of {What} failed: {Reason}")]
    public static partial void DumpFailed(ILogger logger, string instance, string what, string reason);

    [LoggerMessage(12, LogLevel.Warning, "{Instance}: database {Database} was dropped during the round; skipped")]
    public static partial void DatabaseDropped(ILogger logger, string instance, string database);

    [LoggerMessage(13, LogLevel.Error, "{Instance}: {Reason}")]
    public static partial void InstanceFailed(ILogger logger, string instance, string reason);

    [LoggerMessage(14, LogLevel.Information, "{Instance}: removing leftover incomplete archive {Archive}")]
    public static partial void RemovingPartial(ILogger logger, string instance, string archive);

    [LoggerMessage(15, LogLevel.Information, "dump round finished: {Succeeded} succeeded, {Failed} failed, {Seconds:0.0} s")]
    public static partial void RoundFinished(ILogger logger, int succeeded, int failed, double seconds);

    [LoggerMessage(16, LogLevel.Warning, "repository {Repository} is append-only: pruned archives are marked deleted but no space is freed")]
    public static partial void AppendOnly(ILogger logger, string repository);

    [LoggerMessage(17, LogLevel.Information, "next dump round at {Next:u}")]
    public static partial void NextRound(ILogger logger, DateTimeOffset next);

    [LoggerMessage(18, LogLevel.Information, "stopping: {Reason}")]
    public static partial void Stopping(ILogger logger, string reason);

    [LoggerMessage(19, LogLevel.Error, "{Instance}: pruning {What} failed: {Reason}")]
    public static partial void PruneFailed(ILogger logger, string instance, string what, string reason);
}

internal static partial class Log
{
    [LoggerMessage(30, LogLevel.Information, "{Instance}: archived {Count} WAL files {First}..{Last} into {Archive}")]
    public static partial void WalIngested(ILogger logger, string instance, int count, string first, string last, string archive);

    [LoggerMessage(31, LogLevel.Information, "{Instance}: starting cycle {Cycle}: {Reason}")]
    public static partial void CycleStarting(ILogger logger, string instance, string cycle, string reason);

    [LoggerMessage(32, LogLevel.Information, "{Instance}: base backup of cycle {Cycle} stored ({Method}): {Size} read, {Compressed} compressed, {Added} new in the repository, WAL {StartWal}..{StopWal}, {Seconds:0.0} s")]
    public static partial void BaseStored(ILogger logger, string instance, string cycle, string method, string size, string compressed, string added, string startWal, string stopWal, double seconds);

    [LoggerMessage(33, LogLevel.Information, "{Instance}: retired cycle {Cycle}'s spool (its WAL is in Borg; cycle {Newer} is complete)")]
    public static partial void CycleRetired(ILogger logger, string instance, string cycle, string newer);

    [LoggerMessage(34, LogLevel.Information, "{Instance}: expired cycle {Cycle} ({Archives} archives)")]
    public static partial void CycleExpired(ILogger logger, string instance, string cycle, int archives);

    [LoggerMessage(35, LogLevel.Error, "{Instance}: archiving round failed: {Reason}")]
    public static partial void ArchiveRoundFailed(ILogger logger, string instance, string reason);

    [LoggerMessage(36, LogLevel.Warning, "{Instance}: removing leftover {What} from an interrupted run: {Path}")]
    public static partial void RemovingLeftover(ILogger logger, string instance, string what, string path);
}

internal static partial class Log
{
    [LoggerMessage(50, LogLevel.Information, "{Instance}: compacting {Repository} ({Expired} cycles expired in this run)")]
    public static partial void Compacting(ILogger logger, string instance, string repository, int expired);

    [LoggerMessage(51, LogLevel.Information, "compacting {Repository} ({Pruned} archives pruned in this round)")]
    public static partial void CompactingDumps(ILogger logger, string repository, int pruned);

    [LoggerMessage(60, LogLevel.Warning, "{Instance}: state file or metrics not written: {Reason}")]
    public static partial void StateNotWritten(ILogger logger, string instance, string reason);

    [LoggerMessage(61, LogLevel.Warning, "metrics not written to {Directory}: {Reason}")]
    public static partial void MetricsNotWritten(ILogger logger, string directory, string reason);
}
