namespace PgBorg.Processes;

/// <summary>Whether two paths name the same place once a symlink in their last component is followed.</summary>
public static class PathIdentity
{
    public static string Resolve(string path)
    {
        try
        {
            return Path.TrimEndingDirectorySeparator(File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path));
        }
        catch (IOException)
        {
            return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        }
    }

    public static bool Same(string a, string b) => string.Equals(Resolve(a), Resolve(b), StringComparison.Ordinal);
}
