using System.Text.Json.Serialization;

namespace PgBorg.Archiving;

/// <summary>
/// What ingest learned about one stored file of a WAL batch (a segment, a history file or a backup history file):
/// its size and SHA-256, so verify can compare two stored copies without extracting either, and, for segments,
/// the restore points and the commit-time range its records hold, so a restore target is checked before anything is
/// extracted. Batches stored before the index existed have none; readers then say what they could not check.
/// <paramref name="Unread"/> says why a segment's records could not be read (pg_waldump failed on it): then its
/// restore points and commits are unknown, not absent.
/// </summary>
public sealed record WalSegmentIndex(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("restorePoints")] List<WalRestorePoint>? RestorePoints = null,
    [property: JsonPropertyName("firstCommit")] WalCommit? FirstCommit = null,
    [property: JsonPropertyName("lastCommit")] WalCommit? LastCommit = null,
    [property: JsonPropertyName("unread")] string? Unread = null);
