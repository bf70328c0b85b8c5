using System.Text.Json.Serialization;

namespace PgBorg.State;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(DaemonState))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
