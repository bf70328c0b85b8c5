using System.Text.RegularExpressions;

namespace PgBorg.Archiving;

/// <summary>
/// What pg_basebackup leaves out of a data directory besides the fixed excludes: the files of unlogged relations
/// (every fork except <c>_init</c>, from which PostgreSQL recreates them empty after recovery) and temporary
/// relations (<c>tBACKENDID_RELFILENODE</c>), both of which recovery resets anyway.
/// </summary>
public static partial class UnloggedRelations
{
    [GeneratedRegex(@"^(\d+)_init$")]
    private static partial Regex InitFork();

    [GeneratedRegex(@"^t\d+_\d+")]
    private static partial Regex TemporaryRelation();

    /// <summary>Borg exclude patterns, relative to <paramref name="root"/> (a data directory or a tablespace snapshot).</summary>
    public static IReadOnlyList<string> Excludes(string root)
    {
        var patterns = new List<string>();
        if (!Directory.Exists(root))
        {
            return patterns;
        }
        foreach (var dir in DatabaseDirectories(root))
        {
            var relative = Path.GetRelativePath(root, dir);
            foreach (var file in Directory.EnumerateFiles(dir).Select(Path.GetFileName).OfType<string>())
            {
                if (InitFork().Match(file) is { Success: true } m)
                {
                    var node = m.Groups[1].Value;
                    patterns.Add($"sh:{relative}/{node}");
                    patterns.Add($"sh:{relative}/{node}.*");
                    patterns.Add($"sh:{relative}/{node}_fsm*");
                    patterns.Add($"sh:{relative}/{node}_vm*");
                }
                else if (TemporaryRelation().IsMatch(file))
                {
                    patterns.Add($"sh:{relative}/{file}");
                }
            }
        }
        return patterns;
    }

    /// <summary>
    /// Of the file names of one database directory, those the patterns of <see cref="Excludes"/> leave out: every fork
    /// and segment of a relation that has an <c>_init</c> fork, except that fork, and temporary relations.
    /// </summary>
    public static HashSet<string> ExcludedFiles(IReadOnlyCollection<string> names)
    {
        var unlogged = names.Select(n => InitFork().Match(n)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        return names.Where(n => TemporaryRelation().IsMatch(n) || (!InitFork().IsMatch(n) && unlogged.Contains(Node(n)))).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The relfilenode a file belongs to: <c>16397</c> of <c>16397</c>, <c>16397.1</c>, <c>16397_fsm</c>.</summary>
    private static string Node(string name)
    {
        var end = name.IndexOfAny(['.', '_']);
        return end < 0 ? name : name[..end];
    }

    /// <summary>base/OID directories of a data directory, or PG_VERSION_CATVERSION/OID directories of a tablespace.</summary>
    internal static IEnumerable<string> DatabaseDirectories(string root)
    {
        var baseDir = Path.Combine(root, "base");
        var parents = Directory.Exists(baseDir) ? [baseDir] : Directory.GetDirectories(root, "PG_*");
        return parents.SelectMany(p => Directory.GetDirectories(p));
    }
}
