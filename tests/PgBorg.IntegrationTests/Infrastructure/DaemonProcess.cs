using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// The published binary started as a daemon, with a datagram socket the test binds as NOTIFY_SOCKET
/// (what systemd does for Type=notify), its stderr collected as it arrives. Killed on dispose if still running.
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Socket _notify;
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _messages = [];
    private readonly Task _receiver;
    private readonly string _socketPath;

    public DaemonProcess(Sandbox sandbox, string[] args, IDictionary<string, string>? env = null)
    {
        _socketPath = sandbox.Sub($"notify-{Guid.NewGuid():N}.sock");
        _notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _notify.Bind(new UnixDomainSocketEndPoint(_socketPath));
        _receiver = Task.Run(ReceiveAsync);

        var psi = new ProcessStartInfo(PgBorgBinary.Path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["PGBORG_CONFIG"] = sandbox.ConfigPath;
        psi.Environment["NOTIFY_SOCKET"] = _socketPath;
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }
        _process = Process.Start(psi)!;
        _process.StandardInput.Close();
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
    }

    public int Pid => _process.Id;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return _messages.ToList();
            }
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await _notify.ReceiveAsync(buffer, SocketFlags.None);
                lock (_messages)
                {
                    _messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Waits until a condition holds, failing with what the daemon said if it does not in time.</summary>
    public async Task WaitForAsync(Func<DaemonProcess, bool> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{what} did not happen within {timeout}; notify: {string.Join(" | ", Messages)}; stderr:\n{Stderr}");
            }
            if (_process.HasExited && !condition(this))
            {
                throw new InvalidOperationException($"the daemon exited ({_process.ExitCode}) before {what}; stderr:\n{Stderr}");
            }
            await Task.Delay(100);
        }
    }

    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        await Run.CheckedAsync("/bin/kill", "-TERM", _process.Id.ToString());
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _notify.Dispose();
        await _receiver;
        File.Delete(_socketPath);
    }
}
