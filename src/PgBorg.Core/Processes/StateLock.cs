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
