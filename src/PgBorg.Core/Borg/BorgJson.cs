using System.Text.Json.Serialization;

namespace PgBorg.Borg;

public sealed record BorgArchiveEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("start")] string? Start,
    [property: JsonPropertyName("comment")] string? Comment,
    [property: JsonPropertyName("id")] string? Id = null);

public sealed record BorgListResult([property: JsonPropertyName("archives")] List<BorgArchiveEntry> Archives);

/// <summary>
/// One archive's sizes and file count as Borg's create statistics give them. <see cref="DeduplicatedSize"/> is null
/// where Borg was not asked for its statistics (a large repository, <see cref="BorgRepository.StatisticsUpTo"/>):
/// only Borg's cache knows which chunks were new, and the others come from a listing of the archive's items.
/// </summary>
public sealed record BorgArchiveStats(
    [property: JsonPropertyName("original_size")] long OriginalSize,
    [property: JsonPropertyName("compressed_size")] long CompressedSize,
    [property: JsonPropertyName("deduplicated_size")] long? DeduplicatedSize,
    [property: JsonPropertyName("nfiles")] long NFiles);

public sealed record BorgCreatedArchive(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("stats")] BorgArchiveStats Stats);

public sealed record BorgCreateResult([property: JsonPropertyName("archive")] BorgCreatedArchive Archive);

/// <summary>
/// One line of <c>--log-json</c> output on stderr. With <c>--progress</c> Borg 1.2 adds progress lines: create's
/// <c>archive_progress</c> (<c>original_size</c> read so far, every 0.2 s) and <c>progress_percent</c>
/// (<c>current</c> of <c>total</c>; in bytes for extract); their last line has <c>finished</c> true and no figures.
/// With <c>--list</c>, <c>file_status</c> lines give each item's <c>status</c> letter and <c>path</c>.
/// </summary>
public sealed record BorgLogLine(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("levelname")] string? LevelName,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("msgid")] string? MsgId,
    [property: JsonPropertyName("original_size")] long? OriginalSize = null,
    [property: JsonPropertyName("current")] long? Current = null,
    [property: JsonPropertyName("total")] long? Total = null,
    [property: JsonPropertyName("finished")] bool? Finished = null,
    [property: JsonPropertyName("status")] string? Status = null,
    [property: JsonPropertyName("path")] string? Path = null);

public sealed record BorgConfigValue(string Value);

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(BorgListResult))]
[JsonSerializable(typeof(BorgCreateResult))]
[JsonSerializable(typeof(BorgLogLine))]
internal sealed partial class BorgJsonContext : JsonSerializerContext;
