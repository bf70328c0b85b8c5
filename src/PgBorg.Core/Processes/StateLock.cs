namespace PgBorg.Processes;

/// <summary>
/// An exclusive lock file under the state directory (flock through FileShare.None), so two copies of a daemon
/// never work on the same instances at once. Released when the process ends, however it ends.
/// </summary>
public sealed class StateLock : IDisposable
{
    private readonly FileStream _file;

    private StateLock(FileStream file) => _file = file;

    public static StateLock Acquire(string stateDirectory, string name)
    {
        EnsureDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, name + ".lock");
        try
        {
            return new StateLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            throw new IOException($"another {name} is already running (lock {path} is held)");
        }
    }

    /// <summary>
    /// Whether a daemon holds its lock now (pgborg_up). Read from /proc/locks rather than by trying the lock, which
    /// would make a daemon starting at that very moment fail as "already running".
    /// </summary>
    public static bool IsHeld(string stateDirectory, string name)
    {
        if (FileStatus.OfEntry(Path.Combine(stateDirectory, name + ".lock")) is not { } facts)
        {
            return false;
        }
        var inode = ":" + facts.Inode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            // "1: FLOCK  ADVISORY  WRITE 7463 fe:00:11755568 0 EOF": the device and inode of the locked file
            return File.ReadLines("/proc/locks").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Any(f => f.Length > 5 && f[1] == "FLOCK" && f[5].EndsWith(inode, StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Creates the state directory 0700 if missing.</summary>
    public static void EnsureDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => _file.Dispose();
}
