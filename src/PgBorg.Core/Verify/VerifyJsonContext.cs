using System.Text.Json.Serialization;

namespace PgBorg.Verify;

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VerifySummary))]
internal sealed partial class VerifyJsonContext : JsonSerializerContext;
