using System.Text.Json.Serialization;

namespace PgBorg.Verify;

/// <summary>
/// One thing that makes a cycle (or part of it) unrestorable: the cycle, the WAL range concerned (null when the
/// problem is not about WAL, e.g. a missing base) and what is wrong. <see cref="Line"/> is what verify prints.
/// </summary>
public sealed record VerifyProblem(
    [property: JsonPropertyName("cycle")] string Cycle,
    [property: JsonPropertyName("firstWal")] string? FirstWal,
    [property: JsonPropertyName("lastWal")] string? LastWal,
    [property: JsonPropertyName("problem")] string What)
{
    public static VerifyProblem Of(string cycle, string what) => new(cycle, null, null, what);

    public static VerifyProblem Wal(string cycle, string first, string last, string what) => new(cycle, first, last, what);

    [JsonPropertyName("line")]
    public string Line => FirstWal is null ? $"cycle {Cycle}: {What}" : $"cycle {Cycle}: WAL {FirstWal}-{LastWal} {What}";
}
