using System.Text.Json.Serialization;

namespace PgBorg.State;

/// <summary>One dump series of pgdumpd (a database, or the globals with <c>database = null</c>) after the last round.</summary>
public sealed record DatabaseState(
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("database")] string? Database,
    [property: JsonPropertyName("lastResult")] string LastResult,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("lastAttemptAt")] DateTimeOffset LastAttemptAt,
    [property: JsonPropertyName("newestDumpAt")] DateTimeOffset? NewestDumpAt,
    [property: JsonPropertyName("newestDumpSize")] long? NewestDumpSize,
    [property: JsonPropertyName("newestDumpSeconds")] double? NewestDumpSeconds)
{
    /// <summary>The label metrics and status use: the database name, or "(globals)".</summary>
    [JsonIgnore]
    public string Label => Database ?? "(globals)";
}
