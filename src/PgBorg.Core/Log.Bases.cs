using Microsoft.Extensions.Logging;

namespace PgBorg;

/// <summary>What a base costs: the chunk size and the files cache (ids 300–319, apart from the rest so parallel work does not collide).</summary>
internal static partial class Log
{
    [LoggerMessage(300, LogLevel.Information, "base of {Instance}: chunker {Chunker} ({Reason})")]
    public static partial void BaseChunker(ILogger logger, string instance, string chunker, string reason);

    [LoggerMessage(301, LogLevel.Debug, "reflink copy {Path}: {Keyed} file(s) keyed by their original's ctime for Borg's files cache, {Hot} changed around the copy and read in full")]
    public static partial void ReflinkCacheKeys(ILogger logger, string path, int keyed, int hot);

    [LoggerMessage(302, LogLevel.Information, "base of {Instance}: {Path} read with Borg's files cache ({Mode}), unchanged files are not read again")]
    public static partial void BaseFilesCache(ILogger logger, string instance, string path, string mode);

    [LoggerMessage(303, LogLevel.Information, "base of {Instance}: {Path} read in full (a live directory changes under Borg: no files cache)")]
    public static partial void BaseNoFilesCache(ILogger logger, string instance, string path);

    [LoggerMessage(304, LogLevel.Warning, "base of {Instance}: no tablespace_map file in the archive (only in its comment; a restore with Borg alone uses the pg_tblspc links it holds): {Reason}")]
    public static partial void TablespaceMapNotPlaced(ILogger logger, string instance, string reason);
}
