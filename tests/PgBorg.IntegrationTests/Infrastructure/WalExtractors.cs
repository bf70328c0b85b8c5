namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// The background WAL extractors (<c>pgborg __wal-extract AREA</c>) pgcarestore leaves running, and their agents
/// (<c>pgborg __wal-area AREA</c>, the service user's), found through /proc.
/// </summary>
public static class WalExtractors
{
    /// <summary>pids of extractors and agents working in an area under <paramref name="root"/>.</summary>
    public static List<int> Under(string root) =>
        Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0).Where(pid => pid > 0)
            .Where(pid =>
            {
                try
                {
                    var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
                    return argv.Length >= 3 && argv[1] is PgBorg.Restore.WalExtractor.Command or PgBorg.Restore.WalAreaAgent.Command && argv[2].StartsWith(root, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
            }).ToList();

    public static async Task KillUnderAsync(string root)
    {
        foreach (var pid in Under(root))
        {
            await Run.ProgramAsync("/bin/kill", ["-KILL", pid.ToString()]);
        }
        await WaitGoneAsync(root);
    }

    /// <summary>Waits (up to 60 s) until no extractor works under <paramref name="root"/>.</summary>
    public static async Task WaitGoneAsync(string root)
    {
        for (var i = 0; i < 600 && Under(root).Count > 0; i++)
        {
            await Task.Delay(100);
        }
    }
}
