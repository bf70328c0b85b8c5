namespace PgBorg.Processes;

/// <summary>
/// Whether a root process may work in a directory by path: it and every directory above it belong to root or to
/// us, and nobody else can write to them (a sticky directory such as /var/tmp aside, where others cannot rename or
/// remove what is ours). Otherwise another user could swap a directory on the way for a link to one of root's.
/// </summary>
public static class TrustedDirectory
{
    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <param name="realPath">A path with no links in it (realpath(3)).</param>
    public static bool Is(string realPath)
    {
        var self = Native.geteuid();
        for (var dir = realPath; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (FileStatus.OfEntry(dir) is not { IsDirectory: true } facts || (facts.Uid != 0 && facts.Uid != self))
            {
                return false;
            }
            if ((facts.Mode & OthersWrite) != 0 && (facts.Mode & UnixFileMode.StickyBit) == 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// <paramref name="path"/> (in a trusted directory), created 0700 if missing, when it is a directory of ours that
    /// nobody else can write to; else null (someone else made it, or it is a link).
    /// </summary>
    public static string? Ensure(string path)
    {
        if (FileStatus.OfEntry(path) is null)
        {
            try
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        return FileStatus.OfEntry(path) is { IsDirectory: true } facts && facts.Uid == Native.geteuid() && (facts.Mode & OthersWrite) == 0
            ? path : null;
    }

    /// <summary>
    /// A directory of ours nobody else can write to, for root's own work beside the service user's: <paramref name="name"/>
    /// in the state directory, or, when that is not ours alone (pgcad may run as the service user, with a state
    /// directory of that user), <c>/var/tmp/pgborg-NAME-UID</c>.
    /// </summary>
    /// <exception cref="IOException">Neither is such a directory.</exception>
    public static string InState(string stateDirectory, string name)
    {
        try
        {
            StateLock.EnsureDirectory(stateDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // not ours to create: the fallback below
        }
        var fallback = Path.Combine("/var/tmp", $"pgborg-{name}-{Native.geteuid()}");
        foreach (var candidate in new[] { Path.Combine(stateDirectory, name), fallback })
        {
            if (Native.RealPath(Path.GetDirectoryName(candidate)!) is { } parent && Is(parent)
                && Ensure(Path.Combine(parent, Path.GetFileName(candidate))) is { } trusted)
            {
                return trusted;
            }
        }
        throw new IOException($"no directory only {OsUser.Current.Name} can write to for {name}: neither {Path.Combine(stateDirectory, name)} nor {fallback} is one");
    }
}
