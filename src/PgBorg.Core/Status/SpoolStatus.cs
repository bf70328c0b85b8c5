using System.Text.Json.Serialization;

namespace PgBorg.Status;

/// <summary>The spools of an instance right now: how many receive WAL, and what waits in them for Borg.</summary>
public sealed record SpoolStatus(
    [property: JsonPropertyName("active")] int Active,
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("bytes")] long Bytes);
