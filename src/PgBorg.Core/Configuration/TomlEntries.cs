using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace PgBorg.Configuration;

/// <summary>One value of the TOML file with the line it was written on (1-based) and its full key path.</summary>
public sealed record TomlEntry(IReadOnlyList<string> Path, object Value, int Line)
{
    public string Key => string.Join('.', Path.Select(QuoteIfNeeded));

    private static string QuoteIfNeeded(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? s : $"\"{s}\"";
}

/// <summary>
/// Flattens a TOML document into entries with line numbers, using Tomlyn's syntax tree (no reflection,
/// so it is AOT-clean and every error can point at its line). Tables are recorded too, so an error about a
/// missing key can name the table it belongs in.
/// </summary>
public sealed class TomlEntries
{
    private readonly Dictionary<string, TomlEntry> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _tables = new(StringComparer.Ordinal);
    private readonly string _file;

    private TomlEntries(string file) => _file = file;

    public IEnumerable<TomlEntry> Values => _values.Values;

    public static TomlEntries Parse(string text, string file)
    {
        var doc = SyntaxParser.Parse(text, file);
        if (doc.HasErrors)
        {
            var first = doc.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            throw new ConfigException(file, first.Span.Start.Line + 1, "syntax", first.Message);
        }
        var entries = new TomlEntries(file);
        foreach (var kv in doc.KeyValues)
        {
            entries.AddKeyValue([], kv);
        }
        foreach (var table in doc.Tables)
        {
            if (table is not TableSyntax t)
            {
                throw new ConfigException(file, table.Span.Start.Line + 1, "syntax", "arrays of tables ([[...]]) are not used by pgborg");
            }
            var path = KeyPath(t.Name!);
            var id = Id(path);
            if (!entries._tables.TryAdd(id, t.Span.Start.Line + 1))
            {
                throw new ConfigException(file, t.Span.Start.Line + 1, string.Join('.', path), "table defined twice");
            }
            foreach (var item in t.Items)
            {
                if (item is KeyValueSyntax kv)
                {
                    entries.AddKeyValue(path, kv);
                }
            }
        }
        return entries;
    }

    /// <summary>Line of a table header, or 0 when the table is not written in the file.</summary>
    public int TableLine(params string[] path) => _tables.TryGetValue(Id(path), out var line) ? line : 0;

    public bool HasTable(params string[] path) => _tables.ContainsKey(Id(path));

    public TomlEntry? Get(params string[] path) => _values.GetValueOrDefault(Id(path));

    private static string Id(IEnumerable<string> path) => string.Join('\0', path);

    private void AddKeyValue(IReadOnlyList<string> prefix, KeyValueSyntax kv)
    {
        var path = prefix.Concat(KeyPath(kv.Key!)).ToList();
        AddValue(path, kv.Value!, kv.Span.Start.Line + 1);
    }

    private void AddValue(List<string> path, ValueSyntax value, int line)
    {
        switch (value)
        {
            case InlineTableSyntax inline:
                _tables.TryAdd(Id(path), line);
                foreach (var item in inline.Items)
                {
                    if (item.KeyValue is { } kv)
                    {
                        AddValue(path.Concat(KeyPath(kv.Key!)).ToList(), kv.Value!, kv.Span.Start.Line + 1);
                    }
                }
                return;
            default:
                var entry = new TomlEntry(path, Scalar(value, path, line), line);
                if (!_values.TryAdd(Id(path), entry))
                {
                    throw new ConfigException(_file, line, entry.Key, "key defined twice");
                }
                return;
        }
    }

    private object Scalar(ValueSyntax value, List<string> path, int line) => value switch
    {
        StringValueSyntax s => s.Value ?? "",
        IntegerValueSyntax i => i.Value,
        BooleanValueSyntax b => b.Value,
        FloatValueSyntax f => f.Value,
        ArraySyntax a => a.Items.Select(item => Scalar(item.Value!, path, line)).ToList(),
        _ => throw new ConfigException(_file, line, string.Join('.', path), $"unsupported value '{value}'"),
    };

    private static List<string> KeyPath(KeySyntax key)
    {
        var parts = new List<string> { KeyPart(key.Key!) };
        foreach (var dot in key.DotKeys)
        {
            parts.Add(KeyPart(dot.Key!));
        }
        return parts;
    }

    private static string KeyPart(BareKeyOrStringValueSyntax part) => part switch
    {
        BareKeySyntax bare => bare.Key!.Text ?? "",
        StringValueSyntax str => str.Value ?? "",
        _ => part.ToString() ?? "",
    };
}
