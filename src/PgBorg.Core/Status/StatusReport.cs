using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Status;

/// <summary><c>pgborg status --json</c>: healthy only when every instance is.</summary>
public sealed record StatusReport(
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("instances")] List<InstanceStatus> Instances)
{
    public string ToJson() => JsonSerializer.Serialize(this, StatusJsonContext.Default.StatusReport);
}
