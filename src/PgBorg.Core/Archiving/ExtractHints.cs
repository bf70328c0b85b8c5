using System.Text.Json.Serialization;

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
public sealed record ExtractHints(
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
    /// relations, which <see cref="UnloggedRelations"/> leaves out, are left out here too.
    /// </summary>
    public static List<LargeFile> FindLarge(string root)
    {
        var found = new List<LargeFile>();
        foreach (var dir in RelationDirectories(root))
        {
            var names = Directory.EnumerateFiles(dir).Select(System.IO.Path.GetFileName).OfType<string>().ToList();
            var skipped = UnloggedRelations.ExcludedFiles(names);
            foreach (var name in names.Where(n => !skipped.Contains(n)))
            {
                var info = new FileInfo(System.IO.Path.Combine(dir, name));
                if (info.LinkTarget is null && info.Length >= LargeFrom)
                {
                    found.Add(new LargeFile(System.IO.Path.GetRelativePath(root, info.FullName), info.Length));
                }
            }
        }
        return found.OrderByDescending(f => f.Size).ThenBy(f => f.Path, StringComparer.Ordinal).Take(MaxLarge).ToList();
    }

    private static IEnumerable<string> RelationDirectories(string root)
    {
        var global = System.IO.Path.Combine(root, "global");
        if (Directory.Exists(global))
        {
            yield return global;
        }
        foreach (var dir in UnloggedRelations.DatabaseDirectories(root))
        {
            yield return dir;
        }
    }
}
