using System.Text;

namespace PgBorg.LegacyConfig;

/// <summary>
/// An ini file as the earlier tool read it with Python's configparser (its defaults): <c>[section]</c> headers,
/// <c>KEY = VALUE</c> or <c>KEY: VALUE</c>, whole-line comments starting with <c>#</c> or <c>;</c>, indented lines
/// continuing the previous value. What configparser would have refused (a key before any section, a line without
/// a delimiter, a section or key given twice) is refused here too, naming the file and line, so nothing is
/// converted from a file the earlier tool could not have run with.
/// </summary>
public sealed class IniFile
{
    private IniFile(string path, IReadOnlyList<IniSection> sections)
    {
        Path = path;
        Sections = sections;
    }

    public string Path { get; }
    public IReadOnlyList<IniSection> Sections { get; }

    /// <summary>The file name alone, for the short source notes in the output (<c>pgca.ini:7</c>).</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    public IniSection? Section(string name) => Sections.FirstOrDefault(s => s.Name == name);

    public static IniFile Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LegacyConfigException(path, 0, $"cannot read the file: {e.Message}");
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new LegacyConfigException(path, LineOfInvalidUtf8(bytes), "not UTF-8 text");
        }
        return Parse(text, path);
    }

    public static IniFile Parse(string text, string path)
    {
        var sections = new List<IniSection>();
        var seenSections = new Dictionary<string, int>(StringComparer.Ordinal);
        string? sectionName = null;
        var sectionLine = 0;
        var entries = new List<IniEntry>();
        var seenKeys = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        IniEntry? last = null;

        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var raw = lines[i].TrimEnd('\r');
            if (number == 1 && raw.StartsWith('\uFEFF'))
            {
                raw = raw[1..];
            }
            var trimmed = raw.Trim();
            if (trimmed.Length == 0 || trimmed[0] is '#' or ';')
            {
                continue;
            }
            if (char.IsWhiteSpace(raw[0]) && last is not null)
            {
                // configparser: an indented line continues the value above it
                last = last with { Value = last.Value.Length == 0 ? trimmed : last.Value + "\n" + trimmed };
                entries[^1] = last;
                continue;
            }
            if (trimmed[0] == '[')
            {
                if (trimmed[^1] != ']' || trimmed.Length < 3)
                {
                    throw new LegacyConfigException(path, number, $"a section header must be [NAME] on a line of its own, not '{trimmed}'");
                }
                Close();
                sectionName = trimmed[1..^1].Trim();
                sectionLine = number;
                if (seenSections.TryGetValue(sectionName, out var first))
                {
                    throw new LegacyConfigException(path, number, $"section [{sectionName}] appears twice (first on line {first})");
                }
                seenSections[sectionName] = number;
                continue;
            }
            var at = raw.IndexOfAny(['=', ':']);
            if (at < 0)
            {
                throw new LegacyConfigException(path, number, $"expected KEY = VALUE, not '{trimmed}'");
            }
            var key = raw[..at].Trim();
            if (key.Length == 0)
            {
                throw new LegacyConfigException(path, number, "the key before the '" + raw[at] + "' is empty");
            }
            if (sectionName is null)
            {
                throw new LegacyConfigException(path, number, $"'{key}' comes before any [section]");
            }
            if (seenKeys.TryGetValue(key, out var firstKey))
            {
                throw new LegacyConfigException(path, number, $"{key} appears twice in [{sectionName}] (first on line {firstKey})");
            }
            seenKeys[key] = number;
            last = new IniEntry(key, raw[(at + 1)..].Trim(), number);
            entries.Add(last);
        }
        Close();
        return new IniFile(path, sections);

        void Close()
        {
            if (sectionName is not null)
            {
                sections.Add(new IniSection(sectionName, sectionLine, entries));
            }
            entries = [];
            seenKeys.Clear();
            last = null;
        }
    }

    private static int LineOfInvalidUtf8(byte[] bytes)
    {
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var line = 1;
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)'\n')
            {
                try
                {
                    decoder.GetString(bytes, start, i - start);
                }
                catch (DecoderFallbackException)
                {
                    return line;
                }
                line++;
                start = i + 1;
            }
        }
        return 0;
    }
}
