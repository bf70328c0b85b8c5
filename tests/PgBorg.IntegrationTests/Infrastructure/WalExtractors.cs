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

    /// <summary>
    /// Kills the extractors and agents under <paramref name="root"/> and what they started: an extractor's Borg, which
    /// extracts into pgborg's state directory, outlives a killed extractor and would still be writing there when the
    /// test removes that directory.
    /// </summary>
    public static async Task KillUnderAsync(string root)
    {
        var doomed = WithDescendants(Under(root));
        foreach (var pid in doomed)
        {
            await Run.ProgramAsync("/bin/kill", ["-KILL", pid.ToString()]);
        }
        await WaitGoneAsync(root);
        for (var i = 0; i < 600 && doomed.Any(Alive); i++)
        {
            await Task.Delay(100);
        }
    }

    private static List<int> WithDescendants(List<int> roots)
    {
        var parents = Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0).Select(pid => (Pid: pid, Parent: ParentOf(pid))).ToList();
        var all = new List<int>(roots);
        for (var i = 0; i < all.Count; i++)
        {
            all.AddRange(parents.Where(p => p.Parent == all[i] && !all.Contains(p.Pid)).Select(p => p.Pid));
        }
        return all;
    }

    /// <summary>The parent's pid from /proc/PID/stat (after the command name, which may hold spaces and parentheses).</summary>
    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1]);
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>Whether the process still runs (a zombie awaiting its parent does not).</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
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
