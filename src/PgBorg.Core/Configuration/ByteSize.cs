using System.Globalization;
using System.Text.RegularExpressions;

namespace PgBorg.Configuration;

/// <summary>
/// Sizes as written in the configuration: <c>512MB</c>, <c>50GB</c>, <c>1TB</c>, or a plain number of bytes.
/// The units are binary, as in postgresql.conf (<c>1GB</c> = 1024 MB); <c>KiB</c>, <c>MiB</c>, <c>GiB</c> and
/// <c>TiB</c> mean the same, so neither reading surprises.
/// </summary>
public static partial class ByteSize
{
    [GeneratedRegex(@"^(\d+)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var m = Pattern().Match(text.Trim());
        if (!m.Success || !long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }
        var shift = m.Groups[2].Value switch
        {
            "kB" or "KB" or "KiB" => 10,
            "MB" or "MiB" => 20,
            "GB" or "GiB" => 30,
            "TB" or "TiB" => 40,
            _ => 0,
        };
        if (n > long.MaxValue >> shift)
        {
            return false;
        }
        bytes = n << shift;
        return true;
    }
}
