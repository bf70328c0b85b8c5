using System.Text.Json.Serialization;
using PgBorg.PostgreSql;

namespace PgBorg.State;

/// <summary>
/// One instance after a daemon's last round for it. pgcad fills every field; pgdumpd only the round's result
/// (whether the instance could be reached at all; each database has its own <see cref="DatabaseState"/>).
/// </summary>
public sealed record InstanceState(
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("lastRoundAt")] DateTimeOffset LastRoundAt,
    [property: JsonPropertyName("lastRoundSeconds")] double LastRoundSeconds,
    [property: JsonPropertyName("lastResult")] string LastResult,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("lastSuccessAt")] DateTimeOffset? LastSuccessAt,
    [property: JsonPropertyName("consecutiveFailures")] int ConsecutiveFailures,
    [property: JsonPropertyName("completeCycles")] int? CompleteCycles = null,
    [property: JsonPropertyName("newestBase")] BaseState? NewestBase = null,
    [property: JsonPropertyName("newestWal")] string? NewestWal = null,
    [property: JsonPropertyName("newestWalStoredAt")] DateTimeOffset? NewestWalStoredAt = null,
    [property: JsonPropertyName("walCaughtUpAt")] DateTimeOffset? WalCaughtUpAt = null,
    [property: JsonPropertyName("oldestRestorableAt")] DateTimeOffset? OldestRestorableAt = null,
    [property: JsonPropertyName("postgres")] ArchiverStats? Postgres = null)
{
    public const string Ok = "ok";
    public const string Failed = "failed";
}
