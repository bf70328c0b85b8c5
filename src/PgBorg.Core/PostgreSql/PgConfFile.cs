namespace PgBorg.PostgreSql;

/// <summary>
/// Reads the few settings pgborg needs from postgresql.conf, following include, include_if_exists and
/// include_dir as the server does (later settings win).
/// </summary>
public static class PgConfFile
{
    public static Dictionary<string, string> Read(string path)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        ReadInto(path, settings, 0);
        return settings;
    }

    private static void ReadInto(string path, Dictionary<string, string> settings, int depth)
    {
        if (depth > 10 || !File.Exists(path))
        {
            return;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        foreach (var raw in File.ReadLines(path))
        {
            if (!TryParseLine(raw, out var key, out var value))
            {
                continue;
            }
            switch (key.ToLowerInvariant())
            {
                case "include" or "include_if_exists":
                    ReadInto(Path.Combine(dir, value), settings, depth + 1);
                    break;
                case "include_dir":
                    var d = Path.Combine(dir, value);
                    if (Directory.Exists(d))
                    {
                        foreach (var f in Directory.GetFiles(d, "*.conf").Order(StringComparer.Ordinal))
                        {
                            if (!Path.GetFileName(f).StartsWith('.'))
                            {
                                ReadInto(f, settings, depth + 1);
                            }
                        }
                    }
                    break;
                default:
                    settings[key] = value;
                    break;
            }
        }
    }

    /// <summary>Parses <c>name = value</c>, <c>name value</c>, quoted values with '' or \' escapes, and # comments.</summary>
    public static bool TryParseLine(string line, out string key, out string value)
    {
        key = value = "";
        var s = line.Trim();
        if (s.Length == 0 || s[0] == '#')
        {
            return false;
        }
        var i = 0;
        while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '.'))
        {
            i++;
        }
        if (i == 0)
        {
            return false;
        }
        key = s[..i];
        while (i < s.Length && (char.IsWhiteSpace(s[i]) || s[i] == '='))
        {
            i++;
        }
        if (i < s.Length && s[i] == '\'')
        {
            var sb = new System.Text.StringBuilder();
            i++;
            while (i < s.Length)
            {
                if (s[i] == '\'' && i + 1 < s.Length && s[i + 1] == '\'')
                {
                    sb.Append('\'');
                    i += 2;
                }
                else if (s[i] == '\\' && i + 1 < s.Length)
                {
                    sb.Append(s[i + 1]);
                    i += 2;
                }
                else if (s[i] == '\'')
                {
                    break;
                }
                else
                {
                    sb.Append(s[i++]);
                }
            }
            value = sb.ToString();
            return true;
        }
        var end = s.IndexOf('#', i);
        value = (end < 0 ? s[i..] : s[i..end]).Trim();
        return true;
    }
}
