namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// The published NativeAOT binary under test (artifacts/publish/pgborg, or $PGBORG_BINARY). scripts/test.sh
/// publishes it before running the tests; the tests never fall back to in-process code.
/// </summary>
public static class PgBorgBinary
{
    public static string Path { get; } = Locate();

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("PGBORG_BINARY") is { Length: > 0 } configured)
        {
            return configured;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "PgBorg.slnx")))
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "artifacts", "publish", "pgborg");
                if (!File.Exists(candidate))
                {
                    throw new InvalidOperationException($"{candidate} does not exist: run scripts/test.sh, which publishes the AOT binary first");
                }
                return candidate;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (PgBorg.slnx) above " + AppContext.BaseDirectory);
    }
}
