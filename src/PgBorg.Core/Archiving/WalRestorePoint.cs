using System.Text.Json.Serialization;

namespace PgBorg.Archiving;

/// <summary>An XLOG_RESTORE_POINT record found in a segment at ingest: whoever created it (pgbuptool or plain SQL).</summary>
public sealed record WalRestorePoint(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("lsn")] string Lsn,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("timeline")] uint Timeline);
