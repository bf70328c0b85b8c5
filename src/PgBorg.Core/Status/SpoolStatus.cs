using System.Text.Json.Serialization;

namespace PgBorg.Status;

/// <summary>
/// The spools of an instance right now: how many receive WAL, what waits in them for Borg, and the first WAL file
/// wal-push dropped (spool_max_size) from the newest spool that lost any, with that spool's cycle.
/// </summary>
public sealed record SpoolStatus(
    [property: JsonPropertyName("active")] int Active,
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("droppedFrom")] string? DroppedFrom = null,
    [property: JsonPropertyName("droppedCycle")] string? DroppedCycle = null);
