using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Verify;

/// <summary><c>pgborg verify --json</c>: ok only when every instance's report is.</summary>
public sealed record VerifySummary(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("instances")] List<VerifyReport> Instances)
{
    public string ToJson() => JsonSerializer.Serialize(this, VerifyJsonContext.Default.VerifySummary);
}
