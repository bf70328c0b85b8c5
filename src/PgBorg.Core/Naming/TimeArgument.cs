using System.Globalization;
using System.Text.RegularExpressions;

namespace PgBorg.Naming;

/// <summary>
/// Parses <c>--time</c>. Accepted: ISO 8601 with or without offset (<c>2026-11-25T11:47:00+01:00</c>,
/// <c>2026-11-25T11:47Z</c>), <c>YYYY-MM-DD</c> (midnight), <c>YYYY-MM-DD HH:MM[:SS]</c>, the earlier tool's
/// <c>YYYYmmddHHMMSS</c> and <c>THH:MM</c> (today), and archive stamps <c>YYYYmmddTHHMMSSZ</c>.
/// A time without an offset is local time; one that does not exist (skipped by a DST change) or exists twice
/// (repeated by one) is refused with a request to give the offset, because guessing could restore the wrong hour.
/// </summary>
public static partial class TimeArgument
{
    [GeneratedRegex(@"(Z|[+-]\d{2}(:?\d{2})?)$")]
    private static partial Regex HasOffset();

    private static readonly string[] LocalFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFF",
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFF", "yyyyMMddHHmmss",
    ];

    private static readonly string[] OffsetFormats =
    [
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFK",
        "yyyy-MM-dd HH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFK", "yyyyMMdd'T'HHmmssK",
        "yyyy-MM-dd HH:mm zzz", "yyyy-MM-dd HH:mm:ss zzz",
        // as psql prints timestamptz: 2026-11-25 11:47:00.123456+00
        "yyyy-MM-dd HH:mm:sszz", "yyyy-MM-dd HH:mm:ss.FFFFFFzz", "yyyy-MM-dd'T'HH:mm:sszz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFzz",
    ];

    public static DateTimeOffset Parse(string text, TimeZoneInfo? zone = null, DateTimeOffset? now = null)
    {
        zone ??= TimeZoneInfo.Local;
        var t = text.Trim();
        if (t.Length == 0)
        {
            throw new FormatException("empty time");
        }
        if (t.Length is 6 && t[0] is 'T' or 't' && DateTime.TryParseExact(t[1..], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var hm))
        {
            var today = TimeZoneInfo.ConvertTime(now ?? DateTimeOffset.UtcNow, zone).Date;
            return FromLocal(today + hm.TimeOfDay, zone, text);
        }
        if (HasOffset().IsMatch(t) && DateTimeOffset.TryParseExact(t, OffsetFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out var withOffset))
        {
            return withOffset.ToUniversalTime();
        }
        if (DateTime.TryParseExact(t, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return FromLocal(local, zone, text);
        }
        throw new FormatException(
            $"cannot read time '{text}': use ISO 8601 (2026-11-25T11:47:00+01:00, 2026-11-25 11:47), YYYY-MM-DD, YYYYmmddHHMMSS or THH:MM");
    }

    private static DateTimeOffset FromLocal(DateTime local, TimeZoneInfo zone, string text)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            throw new FormatException($"local time '{text}' does not exist in time zone {zone.Id} (skipped by a daylight-saving change): give an explicit offset");
        }
        if (zone.IsAmbiguousTime(local))
        {
            throw new FormatException($"local time '{text}' occurs twice in time zone {zone.Id} (daylight-saving change): give an explicit offset, e.g. {local:yyyy-MM-dd'T'HH:mm:ss}+01:00");
        }
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
