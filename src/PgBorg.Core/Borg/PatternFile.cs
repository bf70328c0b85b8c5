namespace PgBorg.Borg;

/// <summary>
/// Borg patterns in a private file (<c>--exclude-from</c>), one per line, removed on dispose: a list that grows with
/// the data (unlogged relations, tablespaces) must not grow the command line towards the kernel's limit. The files
/// live in the state directory's <c>patterns/</c>; one left by a process that was killed is removed by a later write
/// once it is an hour old (Borg reads the file when it starts, never later).
/// </summary>
internal sealed class PatternFile : IDisposable
{
    private static readonly TimeSpan Stale = TimeSpan.FromHours(1);

    private PatternFile(string path) => Path = path;

    public string Path { get; }

    public static PatternFile Write(string stateDirectory, IEnumerable<string> patterns)
    {
        var directory = System.IO.Path.Combine(stateDirectory, "patterns");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var old in Directory.EnumerateFiles(directory).Where(f => File.GetLastWriteTimeUtc(f) < DateTime.UtcNow - Stale))
        {
            File.Delete(old);
        }
        var file = new PatternFile(System.IO.Path.Combine(directory, $"{Environment.ProcessId}-{Guid.NewGuid():N}"));
        // Borg reads the file line by line: a pattern holding a line break cannot be passed this way (nor safely at all)
        File.WriteAllLines(file.Path, patterns.Select(p => p.Contains('\n', StringComparison.Ordinal)
            ? throw new ArgumentException($"a Borg pattern with a line break: {p}") : p));
        return file;
    }

    public void Dispose() => File.Delete(Path);
}
