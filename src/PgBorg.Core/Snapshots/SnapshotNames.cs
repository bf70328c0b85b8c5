using System.Text.RegularExpressions;

namespace PgBorg.Snapshots;

/// <summary>
/// The one naming rule for snapshot directories: <c>BASENAME.pgborg-snapshot-yyyyMMddTHHmmssZ</c>, next to the
/// directory it freezes. Nothing with any other name is ever created or deleted by the snapshot code.
/// </summary>
public static partial class SnapshotNames
{
    public const string Infix = ".pgborg-snapshot-";

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

    /// <summary>The snapshot directory of <paramref name="directory"/> (absolute, no trailing slash) for <paramref name="stamp"/>.</summary>
    public static string SiblingOf(string directory, string stamp)
    {
        RequireStamp(stamp);
        var parent = Path.GetDirectoryName(directory);
        var name = Path.GetFileName(directory);
        if (parent is null || name.Length == 0)
        {
            throw new SnapshotException($"cannot snapshot {directory}: it has no parent directory to put the snapshot in");
        }
        return Path.Combine(parent, name + Infix + stamp);
    }

    /// <summary>Whether <paramref name="fileName"/> is exactly <c>BASENAME.pgborg-snapshot-STAMP</c> for this <paramref name="baseName"/>.</summary>
    public static bool IsSnapshotOf(string fileName, string baseName) =>
        baseName.Length > 0
        && fileName.Length > baseName.Length + Infix.Length
        && fileName.StartsWith(baseName + Infix, StringComparison.Ordinal)
        && IsStamp(fileName[(baseName.Length + Infix.Length)..]);

    /// <summary>
    /// Whether <paramref name="path"/> is an absolute, normalised path whose file name is <c>X.pgborg-snapshot-STAMP</c>
    /// for a non-empty X: the only kind of path a release may delete.
    /// </summary>
    public static bool IsSnapshotPath(string path)
    {
        if (!Path.IsPathFullyQualified(path) || Path.GetFullPath(path) != path || path.EndsWith('/'))
        {
            return false;
        }
        var name = Path.GetFileName(path);
        var i = name.LastIndexOf(Infix, StringComparison.Ordinal);
        return i > 0 && IsSnapshotOf(name, name[..i]);
    }

    /// <summary>Throws unless <paramref name="path"/> passes <see cref="IsSnapshotPath"/>.</summary>
    internal static void RequireSnapshotPath(string path, string method)
    {
        if (!IsSnapshotPath(path))
        {
            throw new SnapshotException(
                $"refusing to release {method} snapshot \"{path}\": only an absolute path named BASENAME{Infix}yyyyMMddTHHmmssZ is ever deleted");
        }
    }
}
