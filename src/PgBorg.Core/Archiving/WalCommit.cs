using System.Text.Json.Serialization;

namespace PgBorg.Archiving;

/// <summary>A commit (or abort) record's position and timestamp: the bounds of what <c>--time</c> can reach in a segment.</summary>
public sealed record WalCommit(
    [property: JsonPropertyName("lsn")] string Lsn,
    [property: JsonPropertyName("time")] DateTimeOffset Time);
