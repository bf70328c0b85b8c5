using System.Diagnostics;
using System.Text;

namespace PgBorg.Processes;

/// <summary>
/// A running child program. Stderr is always redirected: each line goes to an optional observer and the
/// last lines are kept for error messages. Stdin is either a pipe we write to or closed at once (never the
/// terminal, so no child ever waits on a prompt). Stdout is either a pipe we read or discarded.
/// Cancellation stops the child in two stages: SIGTERM, then SIGKILL of the whole tree after a grace period.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int TailLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly Task _stderrPump;
    private readonly Action<string>? _onStderrLine;
    private int _exited;

    private ChildProcess(Process process, Action<string>? onStderrLine, bool inheritOutput)
    {
        _process = process;
        _onStderrLine = onStderrLine;
        _stderrPump = inheritOutput ? Task.CompletedTask : Task.Run(PumpStderrAsync);
    }

    public string Program { get; private init; } = "";

    public int Id => _process.Id;

    /// <summary>The child's stdin, when started with <c>stdin: true</c>.</summary>
    public Stream StandardInput => _process.StandardInput.BaseStream;

    /// <summary>The child's stdout, when started with <c>stdout: true</c>.</summary>
    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    public static ChildProcess Start(ProcessSpec spec, bool stdin = false, bool stdout = false, Action<string>? onStderrLine = null, bool inheritOutput = false)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = !inheritOutput,
            RedirectStandardError = !inheritOutput,
            UseShellExecute = false,
        };
        if (!inheritOutput)
        {
            psi.StandardErrorEncoding = Encoding.UTF8;
        }
        var (program, args, workingDirectory) = MountIsolation.Wrap(spec, RunAsWrapper.Wrap(spec));
        psi.WorkingDirectory = workingDirectory ?? "";
        psi.FileName = program;
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment.Clear();
        foreach (var (k, v) in spec.Environment)
        {
            psi.Environment[k] = v;
        }

        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new ProcessFailedException(spec.Program, 127, $"cannot start {spec.Program}: {e.Message}");
        }
        var child = new ChildProcess(process, onStderrLine, inheritOutput) { Program = spec.Program };
        if (!stdin)
        {
            process.StandardInput.Close();
        }
        if (!stdout && !inheritOutput)
        {
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        }
        return child;
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_tail)
                {
                    _tail.Enqueue(line);
                    while (_tail.Count > TailLines)
                    {
                        _tail.Dequeue();
                    }
                }
                _onStderrLine?.Invoke(line);
            }
        }
        catch (IOException)
        {
            // the child went away; what we have is the tail
        }
    }

    public string StderrTail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>Waits for the child to exit and for its stderr to be read to the end. Cancelling stops the child.</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            throw;
        }
        await _stderrPump.ConfigureAwait(false);
        Interlocked.Exchange(ref _exited, 1);
        return _process.ExitCode;
    }

    /// <summary>
    /// SIGTERM to the child and everything it started (a dump Borg runs for us must not outlive it), wait up to
    /// <paramref name="grace"/>, then SIGKILL whatever of that tree is left, and wait for the child.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }
        var tree = ProcessTree.Descendants(_process.Id);
        _ = Native.kill(_process.Id, Native.SIGTERM);
        foreach (var pid in tree)
        {
            _ = Native.kill(pid, Native.SIGTERM);
        }
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(last.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // a process that ignores SIGKILL for 10 s is in uninterruptible sleep; nothing more we can do
            }
        }
        await Task.Delay(200).ConfigureAwait(false);
        foreach (var pid in tree)
        {
            // reparented orphans that ignored SIGTERM (a shell waiting for its child) are killed
            _ = Native.kill(pid, Native.SIGKILL);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _exited) == 0)
        {
            await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        _process.Dispose();
    }

    /// <summary>Runs a program to completion, reading its stdout as text. For small outputs only (listings, JSON).</summary>
    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken, Action<string>? onStderrLine = null)
    {
        await using var child = Start(spec, stdout: true, onStderrLine: onStderrLine);
        using var reader = new StreamReader(child.StandardOutput, Encoding.UTF8);
        var stdoutTask = reader.ReadToEndAsync(cancellationToken);
        var rc = await child.WaitAsync(cancellationToken).ConfigureAwait(false);
        var stdout = await stdoutTask.ConfigureAwait(false);
        return new ProcessResult(spec.Program, rc, stdout, child.StderrTail);
    }
}

public sealed record ProcessResult(string Program, int ExitCode, string Stdout, string StderrTail)
{
    public ProcessResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new ProcessFailedException(Program, ExitCode, StderrTail);
        }
        return this;
    }
}
