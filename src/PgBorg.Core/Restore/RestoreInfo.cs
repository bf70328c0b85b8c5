using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Restore;

/// <summary><c>pgcarestore info --json</c>: the plan for the target, the recoverable window per timeline and every restore point.</summary>
public sealed record RestoreInfo(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("cycle")] string Cycle,
    [property: JsonPropertyName("base")] string Base,
    [property: JsonPropertyName("baseEnded")] DateTimeOffset BaseEnded,
    [property: JsonPropertyName("firstWal")] string FirstWal,
    [property: JsonPropertyName("lastWal")] string LastWal,
    [property: JsonPropertyName("walArchives")] int WalArchives,
    [property: JsonPropertyName("settings")] IReadOnlyDictionary<string, string> Settings,
    [property: JsonPropertyName("note")] string? Note,
    [property: JsonPropertyName("windows")] IReadOnlyList<RecoverableWindow> Windows,
    [property: JsonPropertyName("restorePoints")] IReadOnlyList<KnownRestorePoint> RestorePoints,
    [property: JsonPropertyName("unindexedSegments")] int UnindexedSegments)
{
    public static RestoreInfo Of(RestorePlan plan, WalIndexView index) => new(plan.Target.ToString(), plan.Cycle.Stamp, plan.Cycle.BaseArchive!, plan.Base.StoppedAt,
        plan.FirstWal, plan.LastWal, plan.WalArchives.Count, plan.RecoverySettings, plan.Note, index.Windows, index.Points, index.UnindexedSegments);

    public string ToJson() => JsonSerializer.Serialize(this, RestoreInfoJsonContext.Default.RestoreInfo);

    /// <summary><c>pgbuptool list --json</c>.</summary>
    public static string ToJson(List<KnownRestorePoint> points) => JsonSerializer.Serialize(points, RestoreInfoJsonContext.Default.ListKnownRestorePoint);
}
