using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using PgBorg.Archiving;

namespace PgBorg.Restore;

/// <summary>
/// <c>pgborg __wal-area AREA</c>, started by the WAL extractor as the service user: everything that happens inside
/// the restore area happens here. The area is in the data directory, which the service user owns, so a file root
/// opened or created there could be a link the service user planted (to /etc/shadow, say). Root's extractor
/// therefore never opens a path in it: it extracts into its own directory and sends each log line and marker here
/// (<see cref="WalAreaFrame"/>), and each file too, passed by descriptor where it can (<c>attach</c>, <c>take</c>),
/// and this process, with no more rights than PostgreSQL itself, writes them.
/// It holds <c>extractor.lock</c> for as long as the extractor lives: when the extractor dies, its stdin ends, it
/// exits and the lock goes with it.
/// </summary>
public static class WalAreaAgent
{
    public const string Command = "__wal-area";
    public const string Ready = "ready";
    public const string Busy = "busy";

    private const string PartSuffix = ".pgborg-part";
    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static async Task<int> RunAsync(string area, Stream input, Stream output, TextWriter error, CancellationToken ct)
    {
        if (!Directory.Exists(area))
        {
            await error.WriteLineAsync($"pgborg {Command}: {area} does not exist").ConfigureAwait(false);
            return 2;
        }
        var lockPath = Path.Combine(area, WalExtractor.LockName);
        RemoveForeign(lockPath);
        FileStream held;
        try
        {
            held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (WalArea.IsRunning(area))
        {
            await Reply(output, Busy).ConfigureAwait(false);
            return ExitCodes.Unsafe;
        }
        await using (held.ConfigureAwait(false))
        {
            File.SetUnixFileMode(lockPath, Readable);
            // what an extractor before this one concluded (resume-wal) is no longer true
            File.Delete(Path.Combine(area, WalExtractor.DoneName));
            File.Delete(Path.Combine(area, WalExtractor.FailedName));
            var logPath = Path.Combine(area, WalExtractor.LogName);
            RemoveForeign(logPath);
            await using var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            File.SetUnixFileMode(logPath, Readable);
            RemoveStaleParts(area);
            await using var committer = new WalAreaCommitter();
            // the socket over which root's extractor passes files (attach); without it, files come as data on stdin
            var channel = new StrongBox<Socket?>();
            await Reply(output, Ready).ConfigureAwait(false);
            var buffered = new BufferedStream(input, 1 << 16);
            try
            {
                while (await WalAreaFrame.ReadAsync(buffered, ct).ConfigureAwait(false) is { } frame)
                {
                    string answer;
                    try
                    {
                        answer = await HandleAsync(area, frame, buffered, log, committer, channel, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or SocketException)
                    {
                        answer = "error " + e.Message.ReplaceLineEndings(" ");
                    }
                    await Reply(output, answer).ConfigureAwait(false);
                }
            }
            finally
            {
                channel.Value?.Dispose();
            }
            return 0;
        }
    }

    private static async Task<string> HandleAsync(string area, WalAreaFrame frame, Stream input, FileStream log,
        WalAreaCommitter committer, StrongBox<Socket?> channel, CancellationToken ct)
    {
        switch (frame.Verb)
        {
            case WalAreaFrame.File:
                return await ReceiveFileAsync(area, frame, input, committer, ct).ConfigureAwait(false);
            case WalAreaFrame.Attach when frame.Length == 0:
                channel.Value?.Dispose();
                channel.Value = null;
                channel.Value = await Processes.DescriptorPassing.ConnectAsync(frame.Name, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                return "ok";
            case WalAreaFrame.Take when frame.Length == 0 && channel.Value is not null:
                return await TakeAsync(area, frame.Name, channel.Value, committer).ConfigureAwait(false);
            case WalAreaFrame.Commit when frame.Length == 0:
                return await committer.DrainAsync().ConfigureAwait(false) is { } failed ? "error " + failed : "ok";
            case WalAreaFrame.Log:
                await CopyExactlyAsync(input, log, frame.Length, ct).ConfigureAwait(false);
                await log.FlushAsync(ct).ConfigureAwait(false);
                return "ok";
            case WalAreaFrame.Mark when frame.Name is WalExtractor.DoneName or WalExtractor.FailedName:
                var text = await ReadTextAsync(input, frame.Length, ct).ConfigureAwait(false);
                WalArea.WriteMarker(area, frame.Name, text);
                return "ok";
            case WalAreaFrame.State when frame.Length == 0:
                var ended = WalArea.Ended(area);
                return string.Create(CultureInfo.InvariantCulture,
                    $"ok {(ended ? 1 : 0)} {(ended ? 0 : WalArea.Waiting(area))} {(!ended && WalArea.ReplayWaits(area) ? 1 : 0)}");
            case WalAreaFrame.Present when frame.Length == 0:
                // files still being committed are not there yet
                await committer.WaitAsync().ConfigureAwait(false);
                return "ok " + string.Join(' ', PresentNames(area));
            default:
                // not one of ours: the stream cannot be trusted any more
                throw new InvalidDataException($"unexpected request {frame.Verb} {frame.Name} {frame.Length}");
        }
    }

    /// <summary>
    /// The file goes to a temporary name, then to <paramref name="committer"/>, which syncs and renames it: replay
    /// never sees half a segment, even after a crash of the host. A file already there (wal-fetch delivered it
    /// meanwhile) is kept.
    /// </summary>
    private static async Task<string> ReceiveFileAsync(string area, WalAreaFrame frame, Stream input, WalAreaCommitter committer, CancellationToken ct)
    {
        if (WalFileName.Classify(frame.Name) is null)
        {
            await CopyExactlyAsync(input, Stream.Null, frame.Length, ct).ConfigureAwait(false);
            return $"error {frame.Name} is not a WAL file name";
        }
        var destination = Path.Combine(area, frame.Name);
        if (committer.Holds(destination))
        {
            await CopyExactlyAsync(input, Stream.Null, frame.Length, ct).ConfigureAwait(false);
            return $"error {frame.Name} is still being written";
        }
        var part = destination + PartSuffix;
        FileStream? file = null;
        try
        {
            File.Delete(part);
            file = new FileStream(part, PartOptions);
            await CopyExactlyAsync(input, file, frame.Length, ct).ConfigureAwait(false);
            await file.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (file is null)
            {
                // a failed write (a full disk) still reads the whole payload, so the next request is read from its start
                await CopyExactlyAsync(input, Stream.Null, frame.Length, ct).ConfigureAwait(false);
            }
            else
            {
                DisposeQuietly(file);
            }
            File.Delete(part);
            throw;
        }
        await committer.AddAsync(file.SafeFileHandle, part, destination, owner: file).ConfigureAwait(false);
        return "ok";
    }

    /// <summary>
    /// The file root's extractor passed over <paramref name="channel"/> (already the service user's) becomes
    /// <c>AREA/NAME</c>: linked where the two share a filesystem, so no byte is copied, else copied by the kernel.
    /// Received before anything is checked, so the socket stays in step with the requests.
    /// </summary>
    private static async Task<string> TakeAsync(string area, string name, Socket channel, WalAreaCommitter committer)
    {
        var file = Processes.DescriptorPassing.Receive(channel);
        var destination = Path.Combine(area, name);
        if (WalFileName.Classify(name) is null || Processes.FileStatus.Of(file) is not { IsRegularFile: true })
        {
            file.Dispose();
            return $"error {name} is not a WAL file name, or not a regular file";
        }
        if (committer.Holds(destination))
        {
            file.Dispose();
            return $"error {name} is still being written";
        }
        var part = destination + PartSuffix;
        try
        {
            File.Delete(part);
            file = Processes.FileLink.LinkOrCopy(file, part, PartOptions.UnixCreateMode!.Value);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        await committer.AddAsync(file, part, destination).ConfigureAwait(false);
        return "ok";
    }

    /// <summary>A second failure while closing a file that already failed would hide the first.</summary>
    private static void DisposeQuietly(FileStream file)
    {
        try
        {
            file.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the write's own failure is what the extractor hears
        }
    }

    private static readonly FileStreamOptions PartOptions = new()
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        BufferSize = 1 << 16,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    };

    /// <summary>
    /// Temporary files of an agent that was killed before it could rename them: never complete for sure, and
    /// nothing else writes here while we hold the lock. A directory of that name is left alone (not ours to remove).
    /// </summary>
    private static void RemoveStaleParts(string area)
    {
        foreach (var part in Directory.EnumerateFileSystemEntries(area, "*" + PartSuffix))
        {
            if (Processes.FileStatus.OfEntry(part) is { IsDirectory: false })
            {
                File.Delete(part);
            }
        }
    }

    /// <summary>What the area holds or has served already: the extractor need not extract these again.</summary>
    private static IEnumerable<string> PresentNames(string area) =>
        ServedWal.Names(area)
            .Concat(Directory.EnumerateFiles(area).Select(f => Path.GetFileName(f)!))
            .Where(n => WalFileName.Classify(n) is not null)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);

    private static async Task<string> ReadTextAsync(Stream input, long length, CancellationToken ct)
    {
        if (length > 1 << 20)
        {
            throw new InvalidDataException($"a marker of {length} bytes");
        }
        using var text = new MemoryStream();
        await CopyExactlyAsync(input, text, length, ct).ConfigureAwait(false);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes of the request, whatever happens to the writes: when one fails,
    /// the rest is read and dropped, then the write's exception is thrown, and the stream stays in step.
    /// </summary>
    private static async Task CopyExactlyAsync(Stream input, Stream output, long length, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        var left = length;
        Exception? failed = null;
        while (left > 0)
        {
            var n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException($"the WAL extractor's request ended {left} bytes short");
            }
            left -= n;
            if (failed is not null)
            {
                continue;
            }
            try
            {
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failed = e;
            }
        }
        if (failed is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        }
    }

    /// <summary>
    /// What is where the area's own files belong and is not our regular file goes, and the file is made anew: a link
    /// or FIFO is never ours, and an earlier version's extractor left its lock and log owned by root.
    /// </summary>
    private static void RemoveForeign(string path)
    {
        if (Processes.FileStatus.OfEntry(path) is not null && !WalArea.IsOwnRegularFile(path))
        {
            File.Delete(path);
        }
    }

    private static async Task Reply(Stream output, string line)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).ConfigureAwait(false);
        await output.FlushAsync().ConfigureAwait(false);
    }
}
