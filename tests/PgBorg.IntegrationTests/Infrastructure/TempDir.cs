namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>A unique temporary directory, removed on dispose (also when the test failed).</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "pgborg-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
        // postgres (the service user) must be able to traverse to its own directories below this one
        File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // a restore into this directory may have left its background WAL extractor running
        foreach (var pid in WalExtractors.Under(Path))
        {
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                p.Kill();
                p.WaitForExit(10_000);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
            }
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
