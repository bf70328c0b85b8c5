using System.Text.Json.Serialization;

namespace PgBorg.Restore;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(RestoreInfo))]
[JsonSerializable(typeof(List<KnownRestorePoint>))]
internal sealed partial class RestoreInfoJsonContext : JsonSerializerContext;
