using System.Text;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// What a hung program and its descendants are doing, read from /proc before the test kills them: a timeout in CI
/// then says which process waits, and in which kernel function, instead of only that something did.
/// </summary>
public static class ProcessSnapshot
{
    public static string Describe(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Fields(Read(Path.Combine(dir, "stat"))) is [_, var parent, ..]
                && int.TryParse(parent, out var ppid))
            {
                parents[pid] = ppid;
            }
        }
        var text = new StringBuilder();
        Append(text, root, 0, parents);
        return text.ToString();
    }

    private static void Append(StringBuilder text, int pid, int depth, Dictionary<int, int> parents)
    {
        var dir = $"/proc/{pid}";
        var state = Fields(Read(Path.Combine(dir, "stat"))) is [var s, ..] ? s : "?";
        var command = (Read(Path.Combine(dir, "cmdline")) ?? "").Replace('\0', ' ').Trim();
        var wchan = Read(Path.Combine(dir, "wchan")) ?? "?";
        text.Append(' ', depth * 2).Append($"{pid} {state} wchan={wchan} {command}");
        foreach (var fd in Descriptors(dir))
        {
            text.Append($"\n{new string(' ', depth * 2 + 4)}{fd}");
        }
        text.Append('\n');
        foreach (var child in parents.Where(p => p.Value == pid).Select(p => p.Key).Order())
        {
            Append(text, child, depth + 1, parents);
        }
    }

    /// <summary>The process's standard streams and its pipes, sockets and terminals: what it may be waiting on.</summary>
    private static IEnumerable<string> Descriptors(string dir)
    {
        IEnumerable<string> fds;
        try
        {
            fds = Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var fd in fds.OrderBy(f => int.TryParse(Path.GetFileName(f), out var n) ? n : int.MaxValue))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var n = Path.GetFileName(fd);
            if (target is not null && (n is "0" or "1" or "2" || target.StartsWith("pipe:") || target.StartsWith("socket:") || target.StartsWith("/dev/pts")))
            {
                yield return $"fd {n} -> {target}";
            }
        }
    }

    /// <summary>The fields of /proc/PID/stat after "pid (comm) ": comm may hold spaces and parentheses, so after its last ')'.</summary>
    private static string[] Fields(string? stat)
    {
        var end = stat?.LastIndexOf(')') ?? -1;
        return end < 0 || end + 2 > stat!.Length ? [] : stat[(end + 2)..].Split(' ');
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
