namespace PgBorg.Borg;

/// <summary>
/// A local repository's <c>config</c>: the INI file in which Borg 1.2 keeps the repository's settings, and where its
/// documentation tells administrators to set <c>append_only = 1</c> by hand. Borg reads it with Python's configparser
/// (interpolation off, the other options at their defaults), and this follows configparser's rules for what it
/// needs: a line indented deeper than the option above it continues that option's value, any other line is a
/// <c>[section]</c> header or a <c>key = value</c> / <c>key: value</c> option whatever its indentation, keys in any
/// case, whole-line comments after <c>#</c> or <c>;</c>. Whatever it is not sure of (a <c>[DEFAULT]</c> section,
/// whose options every section inherits; a value over several lines; a key given twice; a line that is neither) is
/// left to <c>borg config</c>. Reading it here saves a Borg process for each repository at every start.
/// </summary>
internal static class RepositoryConfigFile
{
    /// <summary>
    /// <c>[repository] append_only</c> as Borg reads it (absent from a <c>[repository]</c> section: false); null when
    /// the file cannot be read or is not clear, so that <c>borg config</c> answers (and reports what is wrong).
    /// </summary>
    public static bool? AppendOnly(string repositoryDirectory)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(repositoryDirectory, "config"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var (found, sectionSeen, clear) = Value(lines, "repository", "append_only");
        if (!clear || !sectionSeen)
        {
            return null;
        }
        return found?.ToLowerInvariant() switch
        {
            null => false,
            "1" or "yes" or "true" or "on" => true,
            "0" or "no" or "false" or "off" => false,
            _ => null,
        };
    }

    /// <summary>
    /// The value of <paramref name="key"/> in <paramref name="section"/> (null when absent), whether the section was
    /// there, and whether the file is clear enough to trust the answer (see the class).
    /// </summary>
    internal static (string? Value, bool SectionSeen, bool Clear) Value(IEnumerable<string> lines, string section, string key)
    {
        string? current = null;
        string? found = null;
        var sectionSeen = false;
        var times = 0;
        var optionOpen = false;      // an option's value may go on over the next lines
        var openIsKey = false;       // and that option is the one asked for
        var indent = 0;              // of the last header or option line
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] is '#' or ';')
            {
                continue; // configparser keeps an option open across these
            }
            var lineIndent = line.Length - line.TrimStart().Length;
            if (optionOpen && lineIndent > indent)
            {
                if (openIsKey)
                {
                    return (null, sectionSeen, false);
                }
                continue;
            }
            indent = lineIndent;
            optionOpen = openIsKey = false;
            if (trimmed[0] == '[' && trimmed.LastIndexOf(']') is var close and > 1)
            {
                current = trimmed[1..close];
                if (current == "DEFAULT")
                {
                    return (null, sectionSeen, false);
                }
                sectionSeen |= current == section;
                continue;
            }
            var delimiter = trimmed.IndexOfAny(['=', ':']);
            if (current is null || delimiter <= 0 || trimmed[..delimiter].Trim().Length == 0)
            {
                return (null, sectionSeen, false); // configparser refuses the file; Borg says why
            }
            optionOpen = true;
            if (current == section && trimmed[..delimiter].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                found = trimmed[(delimiter + 1)..].Trim();
                openIsKey = true;
                times++;
            }
        }
        return (found, sectionSeen, times <= 1);
    }
}
