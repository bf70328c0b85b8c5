namespace PgBorg.Processes;

/// <summary>Whether two paths name the same place once every symlink in them is followed.</summary>
public static class PathIdentity
{
    /// <summary>
    /// The physical path (realpath(3)): what PostgreSQL's processes see as their working directory, so pgcad and
    /// wal-push derive the same places from a data directory reached through symlinks. A path that does not exist
    /// yet is only made absolute.
    /// </summary>
    public static string Resolve(string path) =>
        Path.TrimEndingDirectorySeparator(Native.RealPath(path) ?? Path.GetFullPath(path));

    public static bool Same(string a, string b) => string.Equals(Resolve(a), Resolve(b), StringComparison.Ordinal);
}
