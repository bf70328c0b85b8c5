namespace PgBorg.Borg;

/// <summary>
/// Borg patterns in a private temporary file (<c>--exclude-from</c>), one per line, removed on dispose: a list that
/// grows with the data (unlogged relations, tablespaces) must not grow the command line towards the kernel's limit.
/// </summary>
internal sealed class PatternFile : IDisposable
{
    private PatternFile(string directory) => Directory = directory;

    private string Directory { get; }

    public string Path => System.IO.Path.Combine(Directory, "patterns");

    public static PatternFile Write(IEnumerable<string> patterns)
    {
        var file = new PatternFile(System.IO.Directory.CreateTempSubdirectory("pgborg-patterns-").FullName);
        // Borg reads the file line by line: a pattern holding a line break cannot be passed this way (nor safely at all)
        File.WriteAllLines(file.Path, patterns.Select(p => p.Contains('\n', StringComparison.Ordinal)
            ? throw new ArgumentException($"a Borg pattern with a line break: {p}") : p));
        return file;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
