namespace PgBorg.Cli;

/// <summary>How pgborg was started: under which name, and what follows a bare <c>--</c>.</summary>
internal static class Invocation
{
    public static readonly string[] ToolNames = ["pgcad", "pgbuptool", "pgcarestore", "pgdumpd", "pgdumprestore"];

    /// <summary>Prepends the tool name when started through one of the symlinks (argv[0] as typed, from /proc/self/cmdline).</summary>
    public static string[] WithToolName(string[] args)
    {
        var name = Path.GetFileName(Argv0());
        return ToolNames.Contains(name) ? [name, .. args] : args;
    }

    private static string Argv0()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            var end = Array.IndexOf(cmdline, (byte)0);
            return System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end);
        }
        catch (IOException)
        {
            return Environment.GetCommandLineArgs()[0];
        }
    }

    /// <summary>Everything after the first bare <c>--</c> is a command to run, not options of ours.</summary>
    public static (string[] Options, string[] Passthrough) SplitPassthrough(string[] args)
    {
        var i = Array.IndexOf(args, "--");
        return i < 0 ? (args, []) : (args[..i], args[(i + 1)..]);
    }
}
