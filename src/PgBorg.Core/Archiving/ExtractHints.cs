using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace PgBorg.Archiving;

/// <summary>A large regular file of a base archive, by its path inside the archive.</summary>
public sealed record LargeFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size);

/// <summary>
/// Stored with a base so that pgcarestore can split the extraction over several Borg processes at once, without
/// first listing every item of the archive (one Borg process and a full read of the item metadata): how many items
/// and bytes the base archive holds, and its largest files.
/// </summary>
public sealed partial record ExtractHints(
    [property: JsonPropertyName("items")] long Items,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("large")] List<LargeFile> Large)
{
    /// <summary>Files from this size on are listed (relation segments are at most 1 GiB; catalogs are far smaller).</summary>
    public const long LargeFrom = 16L << 20;

    /// <summary>At most this many are listed (the comment stays small); the rest counts as small.</summary>
    public const int MaxLarge = 256;

    /// <summary>
    /// The largest relation files of a data directory (or tablespace) snapshot — under <c>base/</c>, <c>global/</c>
    /// or a tablespace's version directory — that the base archive holds: the files of unlogged and temporary
    /// relations, which <see cref="UnloggedRelations"/> leaves out, are left out here too, and so is anything whose
    /// name is not a relation file's (<c>pgsql_tmp</c> spill files, which the archive excludes). A file or database
    /// directory that vanishes while it is looked at (a base read from the live directory) is skipped: the hints only
    /// balance the extraction, whatever they miss worker 0 extracts.
    /// </summary>
    public static List<LargeFile> FindLarge(string root)
    {
        var found = new List<LargeFile>();
        foreach (var dir in RelationDirectories(root))
        {
            List<string> names;
            try
            {
                names = Directory.EnumerateFiles(dir).Select(System.IO.Path.GetFileName).OfType<string>().ToList();
            }
            catch (DirectoryNotFoundException)
            {
                continue;
            }
            var skipped = UnloggedRelations.ExcludedFiles(names);
            foreach (var name in names.Where(n => RelationFile().IsMatch(n) && !skipped.Contains(n)))
            {
                try
                {
                    var info = new FileInfo(System.IO.Path.Combine(dir, name));
                    if (info.LinkTarget is null && info.Length >= LargeFrom)
                    {
                        found.Add(new LargeFile(System.IO.Path.GetRelativePath(root, info.FullName), info.Length));
                    }
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                }
            }
        }
        return found.OrderByDescending(f => f.Size).ThenBy(f => f.Path, StringComparer.Ordinal).Take(MaxLarge).ToList();
    }

    /// <summary>
    /// Keeps the <see cref="MaxLarge"/> largest files over all the archives of one base (the data directory and each
    /// tablespace) so that the base's comment — passed to Borg as one argument — stays small however many tablespaces
    /// there are; the counts of items and bytes are untouched.
    /// </summary>
    public static IReadOnlyList<List<LargeFile>> WithinBudget(IReadOnlyList<List<LargeFile>> perArchive)
    {
        var kept = perArchive.SelectMany((files, i) => files.Select(f => (f, i)))
            .OrderByDescending(x => x.f.Size).ThenBy(x => x.i).ThenBy(x => x.f.Path, StringComparer.Ordinal)
            .Take(MaxLarge).ToHashSet();
        return perArchive.Select((files, i) => files.Where(f => kept.Contains((f, i))).ToList()).ToList();
    }

    private static IEnumerable<string> RelationDirectories(string root)
    {
        var global = System.IO.Path.Combine(root, "global");
        if (Directory.Exists(global))
        {
            yield return global;
        }
        foreach (var dir in UnloggedRelations.DatabaseDirectories(root).Where(d => DatabaseOid().IsMatch(System.IO.Path.GetFileName(d))))
        {
            yield return dir;
        }
    }

    /// <summary>A relation's main fork or one of its segments: <c>RELFILENODE[.SEGMENT]</c>.</summary>
    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?$")]
    private static partial Regex RelationFile();

    [GeneratedRegex(@"^[0-9]+$")]
    private static partial Regex DatabaseOid();
}
