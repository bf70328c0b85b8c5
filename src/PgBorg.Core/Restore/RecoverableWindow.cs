using System.Globalization;
using System.Text.Json.Serialization;

namespace PgBorg.Restore;

/// <summary>
/// The times <c>--time</c> can reach on one timeline: from the end of the oldest complete base (or the timeline's
/// first archived commit, for a later timeline) to the newest archived commit (or abort) on it.
/// </summary>
public sealed record RecoverableWindow(
    [property: JsonPropertyName("timeline")] uint Timeline,
    [property: JsonPropertyName("from")] DateTimeOffset From,
    [property: JsonPropertyName("to")] DateTimeOffset To,
    [property: JsonPropertyName("toLsn")] string ToLsn)
{
    public override string ToString() => $"timeline {Timeline}: {Format(From)} .. {Format(To)} UTC";

    /// <summary>Microseconds where there are any: a target a fraction of a second after the newest commit is out of reach.</summary>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture);
}
