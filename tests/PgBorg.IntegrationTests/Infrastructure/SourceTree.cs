namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>The repository the tests run from (the directory holding PgBorg.slnx): scripts and packaging live there.</summary>
public static class SourceTree
{
    public static string Root { get; } = Locate();

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PgBorg.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (PgBorg.slnx) above " + AppContext.BaseDirectory);
    }
}
