using System.Text.RegularExpressions;

namespace PgBorg.Snapshots;

/// <summary>
/// The one naming rule for snapshot directories: <c>BASENAME.pgborg-snapshot</c>, next to the directory it freezes.
/// The name is the same for every base on purpose: Borg's files cache is keyed on the absolute path of each file
/// (<c>os.path.join(os.getcwd(), path)</c> in Borg 1.2's <c>process_file</c>; getcwd resolves symlinks, so only the
/// real path counts), and only a stable path lets the next base skip the files that did not change. Earlier versions
/// added <c>-yyyyMMddTHHmmssZ</c>; such leftovers are still recognised and removed. Nothing with any other name is
/// ever created or deleted by the snapshot code.
/// </summary>
public static partial class SnapshotNames
{
    public const string Suffix = ".pgborg-snapshot";

    /// <summary>What earlier versions put between the base name and the stamp.</summary>
    public const string Infix = Suffix + "-";

    [GeneratedRegex(@"\A[0-9]{8}T[0-9]{6}Z\z", RegexOptions.CultureInvariant)]
    private static partial Regex StampPattern();

    public static bool IsStamp(string stamp) => StampPattern().IsMatch(stamp);

    internal static void RequireStamp(string stamp)
    {
        if (!IsStamp(stamp))
        {
            throw new SnapshotException($"invalid snapshot stamp \"{stamp}\": expected yyyyMMddTHHmmssZ (e.g. 20261125T114700Z)");
        }
    }

    /// <summary>The snapshot directory of <paramref name="directory"/> (absolute, no trailing slash).</summary>
    public static string SiblingOf(string directory)
    {
        var parent = Path.GetDirectoryName(directory);
        var name = Path.GetFileName(directory);
        if (parent is null || name.Length == 0)
        {
            throw new SnapshotException($"cannot snapshot {directory}: it has no parent directory to put the snapshot in");
        }
        return Path.Combine(parent, name + Suffix);
    }

    /// <summary>
    /// Whether <paramref name="fileName"/> is exactly <c>BASENAME.pgborg-snapshot</c> (or an earlier version's
    /// <c>BASENAME.pgborg-snapshot-STAMP</c>) for this <paramref name="baseName"/>.
    /// </summary>
    public static bool IsSnapshotOf(string fileName, string baseName)
    {
        if (baseName.Length == 0 || !fileName.StartsWith(baseName + Suffix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = fileName[(baseName.Length + Suffix.Length)..];
        return rest.Length == 0 || (rest[0] == '-' && IsStamp(rest[1..]));
    }

    /// <summary>
    /// Whether <paramref name="path"/> is an absolute, normalised path whose file name is <c>X.pgborg-snapshot</c>
    /// (or <c>X.pgborg-snapshot-STAMP</c>) for a non-empty X: the only kind of path a release may delete.
    /// </summary>
    public static bool IsSnapshotPath(string path)
    {
        if (!Path.IsPathFullyQualified(path) || Path.GetFullPath(path) != path || path.EndsWith('/'))
        {
            return false;
        }
        var name = Path.GetFileName(path);
        var i = name.LastIndexOf(Suffix, StringComparison.Ordinal);
        return i > 0 && IsSnapshotOf(name, name[..i]);
    }

    /// <summary>Throws unless <paramref name="path"/> passes <see cref="IsSnapshotPath"/>.</summary>
    internal static void RequireSnapshotPath(string path, string method)
    {
        if (!IsSnapshotPath(path))
        {
            throw new SnapshotException(
                $"refusing to release {method} snapshot \"{path}\": only an absolute path named BASENAME{Suffix} (or BASENAME{Infix}yyyyMMddTHHmmssZ) is ever deleted");
        }
    }
}
