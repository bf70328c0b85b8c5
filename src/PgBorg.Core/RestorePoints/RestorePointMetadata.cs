using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.RestorePoints;

/// <summary>A named restore point as pgbuptool records it in the archive repository (the archive's comment).</summary>
public sealed record RestorePointMetadata(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("lsn")] string Lsn,
    [property: JsonPropertyName("timeline")] uint Timeline,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("walFile")] string WalFile)
{
    public const string CurrentFormat = "pgborg-restorepoint/1";

    public string ToJson() => JsonSerializer.Serialize(this, RestorePointJsonContext.Default.RestorePointMetadata);

    public static RestorePointMetadata? TryParse(string? json) => Archiving.ArchivingJson.TryParse(json, RestorePointJsonContext.Default.RestorePointMetadata);
}

[JsonSerializable(typeof(RestorePointMetadata))]
internal sealed partial class RestorePointJsonContext : JsonSerializerContext;
