using System.Globalization;

namespace PgBorg.Naming;

/// <summary>UTC time stamps in archive names: <c>20261125T114700Z</c>. Sortable, and the same in every time zone.</summary>
public static class Stamp
{
    public const string Format = "yyyyMMdd'T'HHmmss'Z'";

    public static string Of(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out DateTimeOffset time)
    {
        var ok = DateTime.TryParseExact(text, Format, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dt);
        time = ok ? new DateTimeOffset(dt, TimeSpan.Zero) : default;
        return ok;
    }
}
