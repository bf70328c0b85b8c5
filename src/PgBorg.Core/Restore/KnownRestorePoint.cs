using System.Text.Json.Serialization;

namespace PgBorg.Restore;

/// <summary>
/// A restore point a restore can target: recorded by pgbuptool (<see cref="FromPgbuptool"/>), or found in the WAL
/// by the index at ingest, whoever made it (plain SQL <c>pg_create_restore_point()</c> included).
/// </summary>
public sealed record KnownRestorePoint(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("lsn")] string Lsn,
    [property: JsonPropertyName("timeline")] uint Timeline,
    [property: JsonPropertyName("source")] string Source)
{
    public const string FromPgbuptool = "pgbuptool";
    public const string FromWal = "wal";

    public override string ToString() => $"{Name} ({Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, LSN {Lsn}, timeline {Timeline}, {Source})";
}
