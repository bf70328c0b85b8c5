using System.Text.Json.Serialization;

namespace PgBorg.PostgreSql;

/// <summary>The settings pgcad checks and the facts a base backup records.</summary>
public sealed record ServerSettings(
    [property: JsonPropertyName("serverVersionNum")] int ServerVersionNum,
    [property: JsonPropertyName("dataDirectory")] string DataDirectory,
    [property: JsonPropertyName("walLevel")] string WalLevel,
    [property: JsonPropertyName("archiveMode")] string ArchiveMode,
    [property: JsonPropertyName("archiveCommand")] string ArchiveCommand,
    [property: JsonPropertyName("archiveTimeoutSeconds")] int ArchiveTimeoutSeconds,
    [property: JsonPropertyName("fullPageWrites")] string FullPageWrites,
    [property: JsonPropertyName("walSegmentSize")] long WalSegmentSize,
    [property: JsonPropertyName("timeline")] uint Timeline,
    [property: JsonPropertyName("systemIdentifier")] string SystemIdentifier,
    [property: JsonPropertyName("inRecovery")] bool InRecovery,
    [property: JsonPropertyName("configFile")] string ConfigFile);

/// <summary>One reply of the session helper: ok with the fields of the command, or an error.</summary>
public sealed record SessionReply(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("error")] string? Error = null,
    [property: JsonPropertyName("sqlState")] string? SqlState = null,
    [property: JsonPropertyName("lsn")] string? Lsn = null,
    [property: JsonPropertyName("walFile")] string? WalFile = null,
    [property: JsonPropertyName("labelFile")] string? LabelFile = null,
    [property: JsonPropertyName("tablespaceMap")] string? TablespaceMap = null,
    [property: JsonPropertyName("settings")] ServerSettings? Settings = null,
    [property: JsonPropertyName("time")] DateTimeOffset? Time = null,
    [property: JsonPropertyName("snapshot")] string? Snapshot = null,
    [property: JsonPropertyName("timeline")] uint? Timeline = null,
    [property: JsonPropertyName("archiver")] ArchiverStats? Archiver = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SessionReply))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;
