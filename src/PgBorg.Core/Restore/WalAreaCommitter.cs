using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>
/// Makes the files <see cref="WalAreaAgent"/> receives durable, then gives them their names, in the order received,
/// on a thread of its own. Each file is fsynced before its rename, so replay never sees half a segment after a crash
/// of the host. Its write-back starts as soon as it is written, and its fsync and rename happen while the next file is
/// still arriving: one fsync after another on the receiving thread made the agent take 1.4 s instead of 0.9 s for 78
/// segments. At most <see cref="Capacity"/> files wait: the next request waits for room, so no answer of the agent
/// waits for more than that many fsyncs, however slow the disk.
/// </summary>
internal sealed class WalAreaCommitter : IAsyncDisposable
{
    public const int Capacity = 8;

    private readonly Channel<Received> _queue = Channel.CreateBounded<Received>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly List<string> _failures = [];
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private Task _last = Task.CompletedTask;

    public WalAreaCommitter() => _loop = Task.Run(RunAsync);

    /// <summary>
    /// Whether a file for <paramref name="destination"/> is still waiting: a second one would replace its temporary
    /// file, and the rename of the first, synced, would then name the second, unsynced.
    /// </summary>
    public bool Holds(string destination)
    {
        lock (_held)
        {
            return _held.Contains(destination);
        }
    }

    /// <summary>
    /// A file complete under its temporary name <paramref name="part"/>, open as <paramref name="file"/>; ours now
    /// (closed once committed, by disposing <paramref name="owner"/>, a stream that holds it, or else the handle).
    /// Waits while <see cref="Capacity"/> files wait.
    /// </summary>
    public async Task AddAsync(SafeFileHandle file, string part, string destination, IDisposable? owner = null)
    {
        Durability.StartWriteback(file);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_held)
        {
            _held.Add(destination);
        }
        _last = done.Task;
        await _queue.Writer.WriteAsync(new Received(file, owner ?? file, part, destination, done)).ConfigureAwait(false);
    }

    /// <summary>Waits until every file added so far has its name or has failed.</summary>
    public Task WaitAsync() => _last;

    /// <summary>Waits like <see cref="WaitAsync"/>, then returns the failures since the last call, or null.</summary>
    public async Task<string?> DrainAsync()
    {
        await _last.ConfigureAwait(false);
        lock (_failures)
        {
            var failed = _failures.Count == 0 ? null : string.Join("; ", _failures);
            _failures.Clear();
            return failed;
        }
    }

    private async Task RunAsync()
    {
        await foreach (var received in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                Commit(received);
            }
            catch (Exception e)
            {
                // any failure is the extractor's to hear (commit), and the loop goes on with the next file
                lock (_failures)
                {
                    _failures.Add($"{Path.GetFileName(received.Destination)}: {e.Message.ReplaceLineEndings(" ")}");
                }
                Forget(received);
            }
            finally
            {
                lock (_held)
                {
                    _held.Remove(received.Destination);
                }
                received.Done.SetResult();
            }
        }
    }

    private static void Commit(Received received)
    {
        using (received.Owner)
        {
            Durability.Fsync(received.File);
        }
        if (Native.RenameNoReplace(received.Part, received.Destination))
        {
            return;
        }
        // there already: wal-fetch fetched it from Borg meanwhile (borg mode), the same file; anything else is wrong
        if (FileStatus.OfEntry(received.Destination) is not { IsRegularFile: true })
        {
            throw new IOException($"{received.Destination} is there already, and not a file");
        }
        File.Delete(received.Part);
    }

    private static void Forget(Received received)
    {
        try
        {
            received.Owner.Dispose();
            File.Delete(received.Part);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the next agent for this area removes it (WalAreaAgent.RemoveStaleParts)
        }
    }

    /// <summary>Commits what was added, then stops: what was received completely is not left behind unnamed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed record Received(SafeFileHandle File, IDisposable Owner, string Part, string Destination, TaskCompletionSource Done);
}
