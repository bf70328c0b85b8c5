using Microsoft.Extensions.Logging;

namespace PgBorg;

/// <summary>Every log message of pgborg, source-generated, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "borg {Command}: {Message}")]
    public static partial void BorgWarning(ILogger logger, string command, string message);

    // Borg's advice at init (the banner about clients up to 1.0.8, key backups): noise at info, kept for debug
    [LoggerMessage(3, LogLevel.Debug, "borg {Command}: {Message}")]
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

    [LoggerMessage(15, LogLevel.Information, "dump round of {Instances} finished: {Succeeded} succeeded, {Failed} failed, {Seconds:0.0} s")]
    public static partial void RoundFinished(ILogger logger, string instances, int succeeded, int failed, double seconds);

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

    [LoggerMessage(40, LogLevel.Information, "{Instance}: consolidated {Count} WAL files {First}..{Last} of cycle {Cycle} into {Archive}, replacing {Replaced} archives")]
    public static partial void WalConsolidated(ILogger logger, string instance, int count, string first, string last, string cycle, string archive, int replaced);

    [LoggerMessage(41, LogLevel.Information, "{Instance}: base of cycle {Cycle} waits for {Segment} to be archived (the archiver is at {Archived})")]
    public static partial void WaitingForStopSegment(ILogger logger, string instance, string cycle, string segment, string archived);

    [LoggerMessage(38, LogLevel.Error, "{Instance}: wal-push DROPPED WAL from {File} on (spool_max_size reached): cycle {Cycle} cannot be restored past it")]
    public static partial void WalDropped(ILogger logger, string instance, string cycle, string file);

    [LoggerMessage(39, LogLevel.Error, "{Instance}: PostgreSQL's archive_command is failing: {File} failed at {At:u} ({Count} failures so far); the server keeps that WAL in pg_wal and retries (see its log)")]
    public static partial void ArchiverFailing(ILogger logger, string instance, string file, DateTimeOffset at, long count);

    [LoggerMessage(31, LogLevel.Information, "{Instance}: starting cycle {Cycle}: {Reason}")]
    public static partial void CycleStarting(ILogger logger, string instance, string cycle, string reason);

    [LoggerMessage(32, LogLevel.Information, "{Instance}: base backup of cycle {Cycle} stored ({Method}): {Size} read, {Compressed} compressed, {Added} new in the repository, WAL {StartWal}..{StopWal}, {Seconds:0.0} s")]
    public static partial void BaseStored(ILogger logger, string instance, string cycle, string method, string size, string compressed, string added, string startWal, string stopWal, double seconds);

    [LoggerMessage(33, LogLevel.Information, "{Instance}: retired cycle {Cycle}'s spool (its WAL is in Borg; cycle {Newer} is complete)")]
    public static partial void CycleRetired(ILogger logger, string instance, string cycle, string newer);

    [LoggerMessage(34, LogLevel.Information, "{Instance}: expired cycle {Cycle} ({Archives} archives)")]
    public static partial void CycleExpired(ILogger logger, string instance, string cycle, int archives);

    [LoggerMessage(42, LogLevel.Information, "{Instance}: deleted the {Archives} archive(s) left by cycle {Cycle}, whose base failed (its WAL is held by a complete cycle)")]
    public static partial void LeftoverCycleDeleted(ILogger logger, string instance, string cycle, int archives);

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

internal static partial class Log
{
    [LoggerMessage(70, LogLevel.Warning, "{Problem}; wal-fetch will fetch the WAL from Borg itself")]
    public static partial void ExtractorNotStarted(ILogger logger, string problem);

    [LoggerMessage(71, LogLevel.Warning, "{Problem}; extracting the WAL now instead")]
    public static partial void ExtractingWalNow(ILogger logger, string problem);

    [LoggerMessage(74, LogLevel.Warning, "{Instance}: cycle {Cycle}'s spool does not get a history file of pg_wal: {Problem}")]
    public static partial void HistoryFileSkipped(ILogger logger, string instance, string cycle, string problem);

    [LoggerMessage(73, LogLevel.Warning, "the failed restore's temporary directories could not all be removed: {Problem}")]
    public static partial void RestoreLeftovers(ILogger logger, string problem);

    [LoggerMessage(72, LogLevel.Warning, "{Directory}, the service user's for the probe of the repository, could not be emptied as that user; left behind")]
    public static partial void ProbeLeftBehind(ILogger logger, string directory);

    [LoggerMessage(37, LogLevel.Information, "{Instance}: removed {Count} restore point record(s) older than the oldest base")]
    public static partial void RestorePointsExpired(ILogger logger, string instance, int count);

    [LoggerMessage(80, LogLevel.Information, "snapshot of data directory {Directory}: {Method} ({Reason})")]
    public static partial void SnapshotMethodChosen(ILogger logger, string directory, string method, string reason);

    [LoggerMessage(81, LogLevel.Information, "snapshot {Stamp} ready: data directory at {Path}, {Count} tablespace(s)")]
    public static partial void SnapshotReady(ILogger logger, string stamp, string path, int count);

    [LoggerMessage(82, LogLevel.Warning, "snapshot {Stamp} failed, releasing the {Count} snapshot(s) already made: {Reason}")]
    public static partial void SnapshotFailed(ILogger logger, string stamp, int count, string reason);

    [LoggerMessage(83, LogLevel.Information, "tablespace {Oid} at {Directory} is inside the data directory: read from its snapshot")]
    public static partial void TablespaceInsideDataDirectory(ILogger logger, uint oid, string directory);

    [LoggerMessage(84, LogLevel.Information, "snapshot of tablespace {Oid} at {Directory}: {Method} ({Reason})")]
    public static partial void TablespaceSnapshotMethod(ILogger logger, uint oid, string directory, string method, string reason);

    [LoggerMessage(85, LogLevel.Warning, "snapshot of tablespace {Oid} at {Directory}: {Method} instead of {DataMethod} ({WhyNot}; {Reason})")]
    public static partial void TablespaceSnapshotFallback(ILogger logger, uint oid, string directory, string method, string dataMethod, string whyNot, string reason);

    [LoggerMessage(86, LogLevel.Information, "released {Method} snapshot {Path}")]
    public static partial void SnapshotReleased(ILogger logger, string method, string path);

    [LoggerMessage(87, LogLevel.Error, "cannot release {Method} snapshot {Path}: {Reason} (pgborg retries before the next base backup)")]
    public static partial void SnapshotNotReleased(ILogger logger, string method, string path, string reason);

    [LoggerMessage(88, LogLevel.Information, "reflink copy of {Directory}: {Count} file(s) deleted by PostgreSQL while copying (WAL replay covers them), e.g. {Examples}")]
    public static partial void ReflinkFilesVanished(ILogger logger, string directory, int count, string examples);

    [LoggerMessage(89, LogLevel.Error, "cannot remove leftover snapshot {Path}: {Reason}")]
    public static partial void LeftoverSnapshotNotRemoved(ILogger logger, string path, string reason);

    [LoggerMessage(90, LogLevel.Warning, "removing leftover {What} {Path} (an interrupted base backup)")]
    public static partial void RemovingLeftoverSnapshot(ILogger logger, string what, string path);

    [LoggerMessage(20, LogLevel.Warning, "{Instance}: database {Database} does not allow connections (datallowconn = false); not dumped")]
    public static partial void DatabaseNotConnectable(ILogger logger, string instance, string database);

    [LoggerMessage(21, LogLevel.Information, "{Repository}: pruned {Count} archives")]
    public static partial void Pruned(ILogger logger, string repository, int count);

    [LoggerMessage(100, LogLevel.Warning, "{Warning}")]
    public static partial void DiscoveryWarning(ILogger logger, string warning);

    // progress of interactive work without a terminal (ProgressLines): a line per interval, and how it ended
    [LoggerMessage(110, LogLevel.Information, "{Work}: {Figures}")]
    public static partial void Progress(ILogger logger, string work, string figures);

    [LoggerMessage(111, LogLevel.Information, "{Work}: {Summary}")]
    public static partial void ProgressEnded(ILogger logger, string work, string summary);

    [LoggerMessage(112, LogLevel.Debug, "{Instance}: cannot measure the data directory for the progress display ({Reason}); showing bytes without a total")]
    public static partial void SizeUnknown(ILogger logger, string instance, string reason);
}
