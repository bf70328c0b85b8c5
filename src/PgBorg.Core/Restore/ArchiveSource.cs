using System.Text.Json.Serialization;

namespace PgBorg.Restore;

/// <summary>
/// Whose WAL a restored server follows in the repository (a standby made with <c>pgcarestore restore --standby</c>):
/// wal-fetch looks there for files archived after the restore.
/// </summary>
public sealed record ArchiveSource(
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("walSegmentSize")] long? WalSegmentSize);
