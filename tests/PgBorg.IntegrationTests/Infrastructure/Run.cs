using System.Diagnostics;
using System.Text;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>Result of running a program: exit code and everything it printed.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs programs for the tests (ArgumentList, never a shell), with a timeout that kills the whole tree.</summary>
public static class Run
{
    public static async Task<RunResult> ProgramAsync(string program, IEnumerable<string> args, IDictionary<string, string>? env = null,
        string? workingDirectory = null, TimeSpan? timeout = null, Stream? stdoutTo = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "/",
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdoutBuffer = new MemoryStream();
        var outTask = p.StandardOutput.BaseStream.CopyToAsync(stdoutTo ?? stdoutBuffer);
        var errTask = p.StandardError.ReadToEndAsync();
        // the test's own token too: a test that times out (xunit.v3 enforces [Fact(Timeout)]) takes its programs with it
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            string tree;
            try
            {
                tree = ProcessSnapshot.Describe(p.Id);
            }
            catch (Exception e)
            {
                tree = $"(not read: {e.Message})\n"; // the kill below matters more than the description
            }
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            var why = TestContext.Current.CancellationToken.IsCancellationRequested ? "the test was cancelled (timed out)" : $"it did not finish within {timeout ?? TimeSpan.FromMinutes(3)}";
            const string heldOpen = "(not read: a process left behind holds it open)";
            var stdout = stdoutTo is not null ? "(streamed elsewhere)" : await Finished(outTask) ? Encoding.UTF8.GetString(stdoutBuffer.ToArray()) : heldOpen;
            var stderr = await Finished(errTask) ? await errTask : heldOpen;
            throw new TimeoutException($"{program} {string.Join(' ', args)}: {why}\n--- the processes when it was stopped\n{tree}"
                + $"--- stdout\n{stdout}\n--- stderr\n{stderr}");
        }
        await outTask;
        return new RunResult(p.ExitCode, Encoding.UTF8.GetString(stdoutBuffer.ToArray()), await errTask);
    }

    /// <summary>Whether the reading of a killed program's output has ended (it does not while a process left behind holds the pipe).</summary>
    private static async Task<bool> Finished(Task copy)
    {
        try
        {
            await copy.WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Runs and requires exit 0.</summary>
    public static async Task<string> CheckedAsync(string program, params string[] args)
    {
        var r = await ProgramAsync(program, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {r}");
        }
        return r.Stdout;
    }

    /// <summary>Runs as the postgres OS user (the tests run as root, as CI does).</summary>
    public static Task<string> AsPostgresAsync(string program, params string[] args) =>
        CheckedAsync("/usr/sbin/runuser", ["-u", "postgres", "--", program, .. args]);
}
