namespace PgBorg.Processes;

/// <summary>A child program exited unsuccessfully. Carries the program, its exit code and the tail of its stderr.</summary>
public sealed class ProcessFailedException(string program, int exitCode, string stderrTail)
    : Exception(Describe(program, exitCode, stderrTail))
{
    public string Program { get; } = program;
    public int ExitCode { get; } = exitCode;
    public string StderrTail { get; } = stderrTail;

    internal static string Describe(string program, int exitCode, string stderrTail)
    {
        var what = exitCode > 128 ? $"was killed by signal {exitCode - 128}" : $"exited with code {exitCode}";
        var tail = stderrTail.Trim();
        return tail.Length == 0 ? $"{Path.GetFileName(program)} {what}" : $"{Path.GetFileName(program)} {what}: {tail}";
    }
}
