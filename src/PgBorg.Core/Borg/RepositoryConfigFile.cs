namespace PgBorg.Borg;

/// <summary>
/// A local repository's <c>config</c>: the INI file in which Borg 1.2 keeps the repository's settings, and where its
/// documentation tells administrators to set <c>append_only = 1</c> by hand. Borg reads it with Python's configparser
/// (interpolation off), so this reads it as configparser does: <c>[section]</c> lines, <c>key = value</c> or
/// <c>key: value</c>, keys in any case, whole-line comments after <c>#</c> or <c>;</c>, indented lines continuing a
/// value. Reading it here saves a Borg process (<c>borg config</c>) for each repository at every start.
/// </summary>
internal static class RepositoryConfigFile
{
    /// <summary>
    /// <c>[repository] append_only</c> as Borg reads it (absent: false); null when the file cannot be read or the value
    /// is not one configparser accepts, so that <c>borg config</c> answers (and reports what is wrong).
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
        if (Value(lines, "repository", "append_only", out var doubtful) is not { } value)
        {
            return doubtful || !lines.Any(l => l.Trim() == "[repository]") ? null : false;
        }
        return value.ToLowerInvariant() switch
        {
            "1" or "yes" or "true" or "on" => true,
            "0" or "no" or "false" or "off" => false,
            _ => null,
        };
    }

    /// <summary>
    /// The value of <paramref name="key"/> in <paramref name="section"/>; null when absent, or when
    /// <paramref name="doubtful"/>: given twice (configparser refuses that) or continued over lines.
    /// </summary>
    internal static string? Value(IEnumerable<string> lines, string section, string key, out bool doubtful)
    {
        string? current = null;
        string? found = null;
        var times = 0;
        var lastWasKey = false;
        var continued = false;
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] is '#' or ';')
            {
                continue;
            }
            if (char.IsWhiteSpace(line[0]))
            {
                // configparser joins an indented line to the value above it
                continued |= lastWasKey;
                continue;
            }
            lastWasKey = false;
            if (trimmed[0] == '[' && trimmed[^1] == ']')
            {
                current = trimmed[1..^1];
                continue;
            }
            var delimiter = trimmed.IndexOfAny(['=', ':']);
            if (current == section && delimiter > 0 && trimmed[..delimiter].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                found = trimmed[(delimiter + 1)..].Trim();
                times++;
                lastWasKey = true;
            }
        }
        doubtful = continued || times > 1;
        return doubtful ? null : found;
    }
}
