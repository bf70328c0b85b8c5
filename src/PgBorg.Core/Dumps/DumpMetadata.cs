using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Dumps;

/// <summary>What a dump archive's comment holds (JSON), so choosing a dump never extracts data.</summary>
public sealed record DumpMetadata(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("pgVersion")] int PgVersion,
    [property: JsonPropertyName("serverVersionNum")] int ServerVersionNum,
    [property: JsonPropertyName("database")] string? Database,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("tool")] string Tool,
    [property: JsonPropertyName("dumpFormat")] string DumpFormat)
{
    public const string CurrentFormat = "pgborg-dump/1";

    public string ToJson() => JsonSerializer.Serialize(this, DumpJsonContext.Default.DumpMetadata);

    public static DumpMetadata? TryParse(string? json) => Archiving.ArchivingJson.TryParse(json, DumpJsonContext.Default.DumpMetadata);
}

/// <summary>One line of <c>pgdumprestore list --json</c>.</summary>
public sealed record DumpListItem(
    [property: JsonPropertyName("archive")] string Archive,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("database")] string? Database,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("pgVersion")] int PgVersion);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DumpMetadata))]
[JsonSerializable(typeof(List<DumpListItem>))]
internal sealed partial class DumpJsonContext : JsonSerializerContext;

public static class DumpJson
{
    public static string Serialize(List<DumpListItem> items) => JsonSerializer.Serialize(items, DumpJsonContext.Default.ListDumpListItem);
}
