using System.Text.Json.Serialization;

namespace PgBorg.State;

/// <summary>The newest complete base of an instance, as its archive comment records it.</summary>
public sealed record BaseState(
    [property: JsonPropertyName("cycle")] string Cycle,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("stoppedAt")] DateTimeOffset StoppedAt,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("originalSize")] long? OriginalSize,
    [property: JsonPropertyName("compressedSize")] long? CompressedSize)
{
    /// <summary>pg_backup_start to pg_backup_stop: how long the server stayed in backup mode.</summary>
    [JsonIgnore]
    public double Seconds => (StoppedAt - StartedAt).TotalSeconds;
}
