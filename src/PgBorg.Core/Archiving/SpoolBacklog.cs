namespace PgBorg.Archiving;

/// <summary>What waits in an instance's spools for Borg: distinct files (every active spool holds a copy) and their bytes.</summary>
public static class SpoolBacklog
{
    public static (int Active, int Files, long Bytes) Read(string dataDirectory)
    {
        var files = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var cycle in SpoolDirectory.Cycles(dataDirectory))
        {
            foreach (var name in SpoolDirectory.Files(dataDirectory, cycle))
            {
                try
                {
                    files.TryAdd(name, new FileInfo(Path.Combine(SpoolDirectory.CycleDirectory(dataDirectory, cycle), name)).Length);
                }
                catch (IOException)
                {
                    // ingested and deleted while we looked
                }
            }
        }
        return (SpoolDirectory.ActiveCycles(dataDirectory).Count, files.Count, files.Values.Sum());
    }
}
