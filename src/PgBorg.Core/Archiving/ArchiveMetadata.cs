using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Archiving;

public sealed record TablespaceInfo(
    [property: JsonPropertyName("oid")] uint Oid,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("extractHints")] ExtractHints? ExtractHints = null);

/// <summary>
/// The comment of a base archive: everything a restore needs to choose it without extracting data.
/// Written twice: at creation with <c>complete = false</c>, and once the WAL up to the stop segment is in Borg,
/// with <c>complete = true</c> and the sizes. Only a complete base counts.
/// </summary>
public sealed record BaseMetadata(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("complete")] bool Complete,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("cycle")] string Cycle,
    [property: JsonPropertyName("pgVersion")] int PgVersion,
    [property: JsonPropertyName("serverVersionNum")] int ServerVersionNum,
    [property: JsonPropertyName("systemIdentifier")] string SystemIdentifier,
    [property: JsonPropertyName("timeline")] uint Timeline,
    [property: JsonPropertyName("walSegmentSize")] long WalSegmentSize,
    [property: JsonPropertyName("startLsn")] string StartLsn,
    [property: JsonPropertyName("startWalFile")] string StartWalFile,
    [property: JsonPropertyName("stopLsn")] string StopLsn,
    [property: JsonPropertyName("stopWalFile")] string StopWalFile,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("stoppedAt")] DateTimeOffset StoppedAt,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("backupLabel")] string BackupLabel,
    [property: JsonPropertyName("tablespaceMap")] string TablespaceMap,
    [property: JsonPropertyName("tablespaces")] List<TablespaceInfo> Tablespaces,
    [property: JsonPropertyName("originalSize")] long? OriginalSize = null,
    [property: JsonPropertyName("compressedSize")] long? CompressedSize = null,
    [property: JsonPropertyName("deduplicatedSize")] long? DeduplicatedSize = null,
    [property: JsonPropertyName("startSnapshot")] string? StartSnapshot = null,
    [property: JsonPropertyName("extractHints")] ExtractHints? ExtractHints = null)
{
    public const string CurrentFormat = "pgborg-base/1";

    public string ToJson() => JsonSerializer.Serialize(this, ArchivingJsonContext.Default.BaseMetadata);

    public static BaseMetadata? TryParse(string? json) => ArchivingJson.TryParse(json, ArchivingJsonContext.Default.BaseMetadata);
}

/// <summary>The comment of a WAL batch archive: the files it holds, so gap checks never extract data, and their index.</summary>
public sealed record WalBatchMetadata(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("cycle")] string Cycle,
    [property: JsonPropertyName("files")] List<string> Files,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("segments")] List<WalSegmentIndex>? Segments = null)
{
    /// <summary>Format 1 had no <see cref="Segments"/>; format 2 may carry one entry per file (see <see cref="WalSegmentIndex"/>).</summary>
    public const string CurrentFormat = "pgborg-wal/2";

    public string ToJson() => JsonSerializer.Serialize(this, ArchivingJsonContext.Default.WalBatchMetadata);

    public static WalBatchMetadata? TryParse(string? json) => ArchivingJson.TryParse(json, ArchivingJsonContext.Default.WalBatchMetadata);
}

/// <summary>Per-instance counters pgcad keeps in the state directory (rebuilt from Borg if lost).</summary>
public sealed record CycleSizes(
    [property: JsonPropertyName("cycles")] Dictionary<string, CycleSize> Cycles);

public sealed record CycleSize(
    [property: JsonPropertyName("baseCompressed")] long BaseCompressed,
    [property: JsonPropertyName("walCompressed")] long WalCompressed);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BaseMetadata))]
[JsonSerializable(typeof(WalBatchMetadata))]
[JsonSerializable(typeof(CycleSizes))]
internal sealed partial class ArchivingJsonContext : JsonSerializerContext;

/// <summary>Reads the JSON an archive comment holds; a comment that is not ours (or is damaged) is null, never an exception.</summary>
public static class ArchivingJson
{
    public static T? TryParse<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : class
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, info);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
