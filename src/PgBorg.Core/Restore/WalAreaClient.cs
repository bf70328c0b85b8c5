using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>
/// The WAL extractor's (root's) side of <see cref="WalAreaAgent"/>: starts the agent as the service user and sends it
/// what is to be written in the restore area. One request at a time; callers on several threads share it.
/// </summary>
public sealed class WalAreaClient : IAsyncDisposable
{
    private readonly ChildProcess _agent;
    private readonly StreamReader _replies;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly OsUser _user;
    private Socket? _channel;
    private string? _broken;

    private WalAreaClient(ChildProcess agent, OsUser user)
    {
        _agent = agent;
        _user = user;
        _replies = new StreamReader(agent.StandardOutput, Encoding.UTF8);
    }

    /// <summary>Why files are sent as data rather than passed (null when they are passed): see <see cref="AttachAsync"/>.</summary>
    public string? CopyReason { get; private set; }

    /// <summary>Starts the agent for <paramref name="area"/> and waits until it holds the area's lock.</summary>
    /// <exception cref="UnsafeException">Another extractor holds the lock.</exception>
    public static async Task<WalAreaClient> StartAsync(string area, OsUser user, CancellationToken ct)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell the path of this program");
        var spec = ProcessSpec.AsUser(user, self, [WalAreaAgent.Command, area]);
        var client = new WalAreaClient(ChildProcess.Start(spec, stdin: true, stdout: true), user);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // with the attach below (its connect bounded at 5 s), within the 30 s pgcarestore waits for the extractor
            // to say it started
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            string? first;
            try
            {
                first = await client._replies.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new IOException($"the helper that writes in {area} as {user.Name} did not start within 15 s");
            }
            switch (first)
            {
                case WalAreaAgent.Ready:
                    await client.AttachAsync(ct).ConfigureAwait(false);
                    return client;
                case WalAreaAgent.Busy:
                    throw new UnsafeException($"the WAL extraction into {area} is already running (log {Path.Combine(area, WalExtractor.LogName)})");
                default:
                    using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                    {
                        try
                        {
                            await client._agent.WaitAsync(exit.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            // stopped by WaitAsync; its stderr is what we have
                        }
                    }
                    throw new IOException($"cannot write in {area} as {user.Name}: {client._agent.StderrTail.Trim()}");
            }
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens a socket to the agent over which files are passed rather than copied through its stdin: the agent
    /// links each into the area (on another filesystem the kernel copies it), where copying through a pipe cost the
    /// restore's replay about 2 s per GiB of WAL on two cores (bench/restore). Only the agent's own process is
    /// accepted (<see cref="DescriptorPassing.AcceptAsync"/>). Where this fails (someone keeps the socket's queue full,
    /// say: its abstract name is visible to all), files go through stdin, and the extractor's log says so.
    /// </summary>
    private async Task AttachAsync(CancellationToken ct)
    {
        try
        {
            using var listener = DescriptorPassing.Listen(out var name);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var accepted = DescriptorPassing.AcceptAsync(listener, _agent.Id, _user.Uid, timeout.Token);
            try
            {
                await RequestAsync(new WalAreaFrame(WalAreaFrame.Attach, name, 0), null, ct).ConfigureAwait(false);
            }
            catch
            {
                await timeout.CancelAsync().ConfigureAwait(false);
                await Task.WhenAny(accepted).ConfigureAwait(false);
                if (accepted.IsCompletedSuccessfully)
                {
                    accepted.Result.Dispose();
                }
                throw;
            }
            // the agent connected before it answered: accepted at once (or not at all, by the timeout)
            _channel = await accepted.ConfigureAwait(false);
        }
        catch (Exception e) when (_broken is null && !ct.IsCancellationRequested
            && e is IOException or SocketException or OperationCanceledException)
        {
            CopyReason = $"files are copied to the restore area's helper, since passing them failed: {e.Message}";
        }
    }

    /// <summary>
    /// Hands a complete file (root's, outside the area) over to become <c>AREA/NAME</c>; the caller may remove its
    /// name afterwards. It gets that name a moment later, once durable; <see cref="CommitAsync"/> waits for that and
    /// says what failed. A passed file becomes the service user's first (so that it may link it).
    /// </summary>
    public async Task DeliverAsync(string name, string source, CancellationToken ct)
    {
        // Borg made it from an archive the service user may have written: never through a link, never a device
        using var handle = PlainFile.OpenForReading(source);
        if (_channel is { } channel)
        {
            if (Native.fchown(handle, _user.Uid, _user.Gid) != 0)
            {
                throw new IOException($"cannot give {source} to {_user.Name}: errno {Marshal.GetLastPInvokeError()}");
            }
            await RequestAsync(new WalAreaFrame(WalAreaFrame.Take, name, 0), null, ct, () => DescriptorPassing.Send(channel, handle))
                .ConfigureAwait(false);
            return;
        }
        await using var file = new FileStream(handle, FileAccess.Read, 1 << 16);
        await RequestAsync(new WalAreaFrame(WalAreaFrame.File, name, file.Length), file, ct).ConfigureAwait(false);
    }

    /// <summary>Waits until every file delivered so far is durable under its name.</summary>
    /// <exception cref="IOException">One of them could not be synced or renamed.</exception>
    public Task CommitAsync(CancellationToken ct) => RequestAsync(new WalAreaFrame(WalAreaFrame.Commit, "-", 0), null, ct);

    /// <summary>Appends one line to <c>extractor.log</c>.</summary>
    public Task LogAsync(string line, CancellationToken ct) =>
        RequestTextAsync(WalAreaFrame.Log, "-", line + "\n", ct);

    /// <summary>Writes <c>extractor.done</c> or <c>extractor.failed</c>.</summary>
    public Task MarkAsync(string name, string text, CancellationToken ct) => RequestTextAsync(WalAreaFrame.Mark, name, text, ct);

    public async Task<WalAreaState> StateAsync(CancellationToken ct)
    {
        var parts = (await RequestAsync(new WalAreaFrame(WalAreaFrame.State, "-", 0), null, ct).ConfigureAwait(false)).Split(' ');
        if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var waiting))
        {
            throw new InvalidDataException($"the restore area's helper answered \"{string.Join(' ', parts)}\" to a state request");
        }
        return new WalAreaState(parts[0] == "1", waiting, parts[2] == "1");
    }

    /// <summary>The WAL files the area holds or has already served.</summary>
    public async Task<IReadOnlySet<string>> PresentAsync(CancellationToken ct)
    {
        var detail = await RequestAsync(new WalAreaFrame(WalAreaFrame.Present, "-", 0), null, ct).ConfigureAwait(false);
        return detail.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }

    private Task<string> RequestTextAsync(string verb, string name, string text, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return RequestAsync(new WalAreaFrame(verb, name, bytes.Length), new MemoryStream(bytes), ct);
    }

    /// <summary>
    /// Longest wait for an answer: writing one segment, syncing the few the agent may hold unsynced
    /// (<see cref="WalAreaCommitter.Capacity"/>), or listing the area. An agent that takes longer is
    /// stuck (a FIFO planted where it reads, a hung filesystem), and the extraction stops rather than hang.
    /// </summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(2);

    /// <returns>What follows <c>ok</c> in the answer.</returns>
    /// <param name="first">Sent before the request, in turn with it: the file a <c>take</c> names.</param>
    private async Task<string> RequestAsync(WalAreaFrame frame, Stream? payload, CancellationToken ct, Action? first = null)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_broken is not null)
            {
                throw new IOException(_broken);
            }
            string? answer;
            try
            {
                // never half a request: one that cannot be sent whole or answered in time ends the agent, since the
                // stream would be out of step with it
                var input = _agent.StandardInput;
                first?.Invoke();
                await input.WriteAsync(frame.Header(), CancellationToken.None).ConfigureAwait(false);
                if (payload is not null)
                {
                    await CopyExactlyAsync(payload, input, frame.Length).ConfigureAwait(false);
                }
                await input.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(AnswerTimeout);
                answer = await _replies.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or UnauthorizedAccessException or SocketException)
            {
                _broken = ct.IsCancellationRequested ? "stopped"
                    : e is OperationCanceledException ? $"the restore area's helper did not answer within {AnswerTimeout.TotalMinutes} minutes"
                    : $"cannot send {frame.Verb} {frame.Name} to the restore area's helper: {e.Message}";
                await _agent.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                throw new IOException(_broken, e);
            }
            if (answer is null)
            {
                _broken = $"the restore area's helper has gone: {_agent.StderrTail.Trim()}";
                throw new IOException(_broken);
            }
            if (answer == "ok" || answer.StartsWith("ok ", StringComparison.Ordinal))
            {
                return answer.Length > 3 ? answer[3..] : "";
            }
            throw new IOException(answer.StartsWith("error ", StringComparison.Ordinal) ? answer[6..] : $"unexpected answer \"{answer}\"");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The payload as announced in the header: a source that ends early is an error, never a short request.</summary>
    private static async Task CopyExactlyAsync(Stream source, Stream destination, long length)
    {
        var buffer = new byte[1 << 16];
        for (var left = length; left > 0;)
        {
            var n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left))).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"the file ended {left} bytes before its announced length");
            }
            await destination.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            left -= n;
        }
    }

    /// <summary>Closes the agent's stdin: it exits and lets go of the area's lock.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _agent.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _agent.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // it is stopped below
        }
        await _agent.DisposeAsync().ConfigureAwait(false);
        _channel?.Dispose();
        _replies.Dispose();
        _gate.Dispose();
    }
}
