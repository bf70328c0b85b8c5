using System.Text.RegularExpressions;

namespace PgBorg.Configuration;

/// <summary>Durations as written in the configuration: <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>7d</c>, <c>2w</c>, or sums such as <c>1h30m</c>.</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^(?:(\d+)([smhdw]))+$")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var m = Pattern().Match(text.Trim());
        if (!m.Success)
        {
            return false;
        }
        try
        {
            for (var i = 0; i < m.Groups[1].Captures.Count; i++)
            {
                var n = long.Parse(m.Groups[1].Captures[i].Value, System.Globalization.CultureInfo.InvariantCulture);
                value += m.Groups[2].Captures[i].Value switch
                {
                    "s" => TimeSpan.FromSeconds(n),
                    "m" => TimeSpan.FromMinutes(n),
                    "h" => TimeSpan.FromHours(n),
                    "d" => TimeSpan.FromDays(n),
                    _ => TimeSpan.FromDays(7 * n),
                };
            }
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            return false;
        }
        return true;
    }

    public static string Format(TimeSpan t)
    {
        if (t.TotalSeconds % 86400 == 0) return $"{(long)t.TotalDays}d";
        if (t.TotalSeconds % 3600 == 0) return $"{(long)t.TotalHours}h";
        if (t.TotalSeconds % 60 == 0) return $"{(long)t.TotalMinutes}m";
        return $"{(long)t.TotalSeconds}s";
    }
}
