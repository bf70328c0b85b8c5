namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A copy of the PostgreSQL bin directory made of symlinks, where chosen programs are replaced by small bash
/// wrappers: the tiny fake programs of the error-path tests (a pg_dump that fails half-way, one whose database
/// disappears, one that hangs). pgborg is pointed at it with bin_directory.
/// </summary>
public sealed class FakeBin : IDisposable
{
    private readonly TempDir _dir = new("pgborg-bin");

    public FakeBin(IReadOnlyDictionary<string, string> wrappers)
    {
        foreach (var real in Directory.GetFiles(PostgresCluster.Bin))
        {
            var name = System.IO.Path.GetFileName(real);
            var path = System.IO.Path.Combine(_dir.Path, name);
            if (wrappers.TryGetValue(name, out var body))
            {
                File.WriteAllText(path, "#!/bin/bash\nREAL=" + real + "\n" + body + "\n");
                File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
            }
            else
            {
                File.CreateSymbolicLink(path, real);
            }
        }
    }

    public string Path => _dir.Path;

    /// <summary>A bash wrapper around any program (e.g. borg), for tests pointing PGBORG_BORG at it.</summary>
    public string Script(string name, string body)
    {
        var path = System.IO.Path.Combine(_dir.Path, name);
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
