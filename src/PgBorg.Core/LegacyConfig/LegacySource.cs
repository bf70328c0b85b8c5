using System.Text.RegularExpressions;

namespace PgBorg.LegacyConfig;

/// <summary>
/// One of the earlier tool's ini files, sorted into what pgborg has a place for: <c>[DEFAULT]</c> and
/// <c>[environment]</c> for the whole table, <c>[env-INSTANCE]</c> then <c>[env-INSTANCE-VERSION]</c> per instance
/// (the earlier tool's merge order), <c>[logging]</c>, and sections it did not read.
/// </summary>
internal sealed partial class LegacySource
{
    public LegacySource(IniFile file, string table, IReadOnlyList<KnownInstance> known)
    {
        File = file;
        Table = table;
        var plain = new Dictionary<string, IniSection>(StringComparer.Ordinal);
        var versioned = new Dictionary<string, SortedDictionary<int, IniSection>>(StringComparer.Ordinal);
        foreach (var section in file.Sections)
        {
            switch (section.Name)
            {
                case "DEFAULT" or "environment":
                    foreach (var e in section.Entries)
                    {
                        EnvironmentMapping.Add(Global, e, Where(section, e));
                    }
                    break;
                case "logging":
                    Logging = section;
                    break;
                case var n when n.StartsWith("env-", StringComparison.Ordinal) && n.Length > 4:
                    var (instance, version) = Classify(n[4..], known);
                    if (version is { } v)
                    {
                        (versioned.TryGetValue(instance, out var list) ? list : versioned[instance] = [])[v] = section;
                    }
                    else
                    {
                        plain[instance] = section;
                    }
                    break;
                default:
                    Unknown.Add(section);
                    break;
            }
        }
        foreach (var name in plain.Keys.Concat(versioned.Keys).Distinct(StringComparer.Ordinal))
        {
            Instances[name] = BuildInstance(name, plain.GetValueOrDefault(name), versioned.GetValueOrDefault(name), known.FirstOrDefault(k => k.Name == name));
        }
    }

    public IniFile File { get; }
    /// <summary><c>archive</c> for pgca.ini, <c>dump</c> for pgdump.ini.</summary>
    public string Table { get; }
    public RepositoryTable Global { get; } = new();
    public SortedDictionary<string, RepositoryTable> Instances { get; } = new(StringComparer.Ordinal);
    public IniSection? Logging { get; }
    public List<IniSection> Unknown { get; } = [];

    public string Where(IniSection section, IniEntry entry) => $"{File.Name}:{entry.Line} [{section.Name}]";

    /// <summary>
    /// <c>env-reports-14</c> is instance <c>reports</c>, PostgreSQL 14, unless an instance named <c>reports-14</c>
    /// exists here (the earlier tool looked sections up by the full name, so both readings were possible).
    /// </summary>
    private static (string Instance, int? Version) Classify(string suffix, IReadOnlyList<KnownInstance> known)
    {
        if (known.Any(k => k.Name == suffix))
        {
            return (suffix, null);
        }
        var m = InstanceVersion().Match(suffix);
        return m.Success && int.TryParse(m.Groups[2].Value, out var v) ? (m.Groups[1].Value, v) : (suffix, null);
    }

    private RepositoryTable BuildInstance(string name, IniSection? plain, SortedDictionary<int, IniSection>? versions, KnownInstance? here)
    {
        var table = new RepositoryTable();
        foreach (var e in plain?.Entries ?? [])
        {
            EnvironmentMapping.Add(table, e, Where(plain!, e));
        }
        if (versions is null)
        {
            return table;
        }
        // pgborg has no per-version settings: an instance runs one version at a time, so the section for the
        // version it runs here applies; when it is not here, the newest (the earlier tool's after an upgrade)
        int? chosen = here is not null ? (versions.ContainsKey(here.MajorVersion) ? here.MajorVersion : null) : versions.Keys.Max();
        foreach (var (version, section) in versions)
        {
            if (version == chosen)
            {
                table.CommentKey($"[{section.Name}] ({File.Name}:{section.Line}) applied: the earlier tool used it only while {name} ran PostgreSQL {version}"
                    + (here is null ? $"; {name} is not on this host, and this is its newest version section" : "")
                    + "; pgborg has no per-version settings, review it after a major upgrade");
                foreach (var e in section.Entries)
                {
                    EnvironmentMapping.Add(table, e, Where(section, e));
                }
            }
            else
            {
                table.CommentKey($"[{section.Name}] ({File.Name}:{section.Line}) not carried over: it is for PostgreSQL {version}, and "
                    + (here is not null ? $"{name} runs PostgreSQL {here.MajorVersion} here" : $"[env-{name}-{chosen}] is newer"));
                foreach (var e in section.Entries)
                {
                    table.CommentKey($"  {TomlText.CommentSafe(e.Key)} = {TomlText.CommentSafe(e.Value)}  # {File.Name}:{e.Line}");
                }
            }
        }
        return table;
    }

    [GeneratedRegex(@"^(.+)-(\d{1,4})$")]
    private static partial Regex InstanceVersion();
}
