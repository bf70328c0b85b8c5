using System.Text.Json.Serialization;

namespace PgBorg.PostgreSql;

/// <summary>
/// PostgreSQL's own view of archiving (<c>pg_stat_archiver</c>) and the segment it is writing now: what
/// <c>pgborg status</c> and the metrics compare with what is in Borg.
/// </summary>
public sealed record ArchiverStats(
    [property: JsonPropertyName("archivedCount")] long ArchivedCount,
    [property: JsonPropertyName("lastArchivedWal")] string? LastArchivedWal,
    [property: JsonPropertyName("lastArchivedAt")] DateTimeOffset? LastArchivedAt,
    [property: JsonPropertyName("failedCount")] long FailedCount,
    [property: JsonPropertyName("lastFailedWal")] string? LastFailedWal,
    [property: JsonPropertyName("lastFailedAt")] DateTimeOffset? LastFailedAt,
    [property: JsonPropertyName("currentWal")] string? CurrentWal,
    [property: JsonPropertyName("walSegmentSize")] long WalSegmentSize,
    [property: JsonPropertyName("archiveTimeoutSeconds")] int ArchiveTimeoutSeconds)
{
    /// <summary>The archiver's last attempt failed: archive_command is failing now, not merely once.</summary>
    [JsonIgnore]
    public bool Failing => LastFailedAt is { } failed && (LastArchivedAt is null || failed > LastArchivedAt);
}
