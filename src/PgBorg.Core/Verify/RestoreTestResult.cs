using System.Text.Json.Serialization;

namespace PgBorg.Verify;

/// <summary>What <c>pgborg verify --restore</c> did: the cycle, how long extraction and replay took, where replay ended, and pg_amcheck's verdict.</summary>
public sealed record RestoreTestResult(
    [property: JsonPropertyName("cycle")] string Cycle,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("restoreSeconds")] double? RestoreSeconds,
    [property: JsonPropertyName("replaySeconds")] double? ReplaySeconds,
    [property: JsonPropertyName("replayLsn")] string? ReplayLsn,
    [property: JsonPropertyName("restoredTo")] string? RestoredTo,
    [property: JsonPropertyName("databasesChecked")] int? DatabasesChecked,
    [property: JsonPropertyName("failure")] string? Failure);
