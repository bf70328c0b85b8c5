using System.Globalization;

namespace PgBorg.Naming;

/// <summary>UTC time stamps in archive names: <c>20261125T114700Z</c>. Sortable, and the same in every time zone.</summary>
public static class Stamp
{
    public const string Format = "yyyyMMdd'T'HHmmss'Z'";

    public static string Of(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>
    /// A new archive's time: <paramref name="now"/>, unless a stamp in <paramref name="existing"/> is as new or newer
    /// (the same second, or a clock stepped back), then one second after the newest. Names must stay unique and in
    /// order (the newest name is taken as the newest archive), and waiting for the clock to pass the newest could mean
    /// an hour without one.
    /// </summary>
    public static DateTimeOffset Next(IEnumerable<string> existing, DateTimeOffset now)
    {
        var newest = existing.Where(s => TryParse(s, out _)).Max(StringComparer.Ordinal);
        return newest is not null && string.CompareOrdinal(newest, Of(now)) >= 0 && TryParse(newest, out var t) ? t.AddSeconds(1) : now;
    }

    public static bool TryParse(string text, out DateTimeOffset time)
    {
        var ok = DateTime.TryParseExact(text, Format, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dt);
        time = ok ? new DateTimeOffset(dt, TimeSpan.Zero) : default;
        return ok;
    }
}
