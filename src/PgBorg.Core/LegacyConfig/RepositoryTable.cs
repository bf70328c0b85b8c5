namespace PgBorg.LegacyConfig;

/// <summary>
/// The lines of one <c>[archive]</c>/<c>[dump]</c> table (or an instance's override of it) and of its
/// <c>environment</c> sub-table, built from the earlier tool's environment variables in merge order.
/// </summary>
internal sealed class RepositoryTable
{
    private readonly List<string> _keys = [];
    private readonly List<string> _environment = [];
    private readonly Dictionary<string, (List<string> Lines, int Index, string Source)> _set = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Keys => _keys;
    public IReadOnlyList<string> Environment => _environment;
    public bool HoldsPassphrase { get; set; }
    public bool HasRepository => _set.ContainsKey("repository");
    public bool IsEmpty => _keys.Count == 0 && _environment.Count == 0;

    /// <summary>Sets a table key; one set earlier (by a section the earlier tool merged first) becomes a comment saying so.</summary>
    public void SetKey(string key, string value, string source) => Set(_keys, key, key, value, source);

    public void SetEnvironment(string name, string value, string source) => Set(_environment, "environment." + name, TomlText.Key(name), value, source);

    public void CommentKey(string text) => _keys.Add("# " + text);

    public void CommentEnvironment(string text) => _environment.Add("# " + text);

    private void Set(List<string> into, string id, string key, string value, string source)
    {
        if (_set.TryGetValue(id, out var earlier))
        {
            earlier.Lines[earlier.Index] = $"# {TomlText.CommentSafe(earlier.Lines[earlier.Index])}  (overridden by {source}, as in the earlier tool)";
        }
        into.Add($"{key} = {TomlText.Quote(value)}  # {source}");
        _set[id] = (into, into.Count - 1, source);
    }
}
