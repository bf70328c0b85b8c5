using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>
/// A restore gets its WAL from this process (<see cref="WalExtractorProcess"/>): started by pgcarestore once the base
/// is in place, detached from it, it extracts the cycle's WAL archives in WAL order — a few segments first so replay
/// can begin, then larger batches, as many Borg processes at a time as the base used (<see cref="ParallelExtract.Workers"/>)
/// — while PostgreSQL already replays. Borg runs as root and extracts into root's own directory
/// (<see cref="StagingFor"/>); each complete file is handed to <see cref="WalAreaAgent"/>, which writes it into the
/// restore area as the service user. <c>pgborg wal-fetch</c> waits for a file this process will still deliver, and
/// fails hard (exit &gt; 125, PostgreSQL stops) if it stopped without delivering it.
/// Markers in the area: <c>extractor.lock</c> (held while running), <c>extractor.done</c>, <c>extractor.failed</c>
/// (why), <c>extractor.log</c>. It stops quietly when recovery ended (<c>wal-fetch --end</c> wrote <c>ended</c> or
/// removed the area).
/// </summary>
public static class WalExtractor
{
    public const string Command = "__wal-extract";
    public const string LockName = "extractor.lock";
    public const string DoneName = "extractor.done";
    public const string FailedName = "extractor.failed";
    public const string LogName = "extractor.log";
    public const string EndedName = "ended";
    public const string WantedName = "wanted";

    /// <summary>
    /// Read-ahead limit: at most this many extracted segments wait in the area for replay (2 GiB of 16 MiB segments),
    /// so a long cycle does not fill the disk before PostgreSQL even starts. Ignored while wal-fetch waits for a file.
    /// <c>PGBORG_WAL_READ_AHEAD</c> (in pgcarestore's environment) sets another number of segments.
    /// </summary>
    internal static int ReadAhead =>
        int.TryParse(Environment.GetEnvironmentVariable("PGBORG_WAL_READ_AHEAD"), out var n) && n > 0 ? n : 128;
    private const string StagingName = "restore-wal";

    /// <summary>Segments per Borg process: a small first batch so replay starts at once, then larger ones.</summary>
    internal static readonly int[] ChunkSizes = [4, 16, 32];

    /// <summary>The files to extract, in WAL order, each once, in batches of one archive each.</summary>
    internal static List<(WalArchiveEntry Archive, List<string> Files)> Plan(IReadOnlyList<WalArchiveEntry> archives, Func<string, bool> present)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var chunks = new List<(WalArchiveEntry, List<string>)>();
        foreach (var archive in archives)
        {
            var files = archive.Files.Where(f => seen.Add(f) && !present(f)).ToList();
            for (var i = 0; i < files.Count;)
            {
                var size = ChunkSizes[Math.Min(chunks.Count, ChunkSizes.Length - 1)];
                chunks.Add((archive, files.Skip(i).Take(size).ToList()));
                i += size;
            }
        }
        return chunks;
    }

    /// <summary>
    /// Where root's Borg extracts the WAL for <paramref name="area"/>: a directory of its own (0700) under the state
    /// directory, never in the area, which the service user owns (<see cref="WalAreaAgent"/>). One per area, so a
    /// killed extractor's leftovers are found and removed by the next one. When the state directory is not ours alone
    /// (pgcad may run as the service user, with a state directory of that user), under /var/tmp instead.
    /// </summary>
    public static string StagingFor(string stateDirectory, string area)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(area))))[..32];
        return Path.Combine(TrustedDirectory.InState(stateDirectory, StagingName), key);
    }

    /// <summary>
    /// Takes <paramref name="staging"/> (its lock, held while extracting) and empties it, then removes what extractors
    /// killed before they could clean up (kill -9, a reboot) left in the others, and the lock files of finished ones:
    /// their locks are free.
    /// </summary>
    /// <exception cref="IOException">Another extractor still works there (its agent has gone).</exception>
    public static async Task<StateLock> ClaimStagingAsync(string staging, CancellationToken ct)
    {
        var root = Path.GetDirectoryName(staging)!;
        StateLock? claimed = null;
        // another extractor's clean-up may hold this lock for a moment
        for (var attempt = 0; claimed is null; attempt++)
        {
            try
            {
                claimed = StateLock.Acquire(root, Path.GetFileName(staging));
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
        // what others left: directories of killed extractors, and the lock files of finished ones (one per restore
        // area, else for ever); a lock still held is a running or starting extractor's
        var own = Path.GetFileName(staging);
        var keys = Directory.EnumerateDirectories(root).Select(Path.GetFileName)
            .Union(Directory.EnumerateFiles(root, "*.lock").Select(Path.GetFileNameWithoutExtension))
            .OfType<string>().ToList();
        foreach (var key in keys)
        {
            var dir = Path.Combine(root, key);
            try
            {
                using var other = key == own ? null : StateLock.Acquire(root, key);
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
                if (other is not null)
                {
                    File.Delete(dir + ".lock");
                }
            }
            catch (IOException)
            {
                // in use by a running extractor
            }
        }
        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return claimed;
    }

    /// <summary>
    /// Extracts every planned batch, at most <c>workers</c> Borg processes at a time, in order, into
    /// <paramref name="staging"/> (claimed: <see cref="ClaimStagingAsync"/>), and hands each file to the agent.
    /// </summary>
    public static async Task ExtractAllAsync(WalAreaClient area, string staging, WalExtractorJob job, CancellationToken ct)
    {
        if (area.CopyReason is { } copied)
        {
            await area.LogAsync(Line(copied), ct).ConfigureAwait(false);
        }
        // what wal-fetch already delivered is not extracted again (resume-wal after a stop)
        var present = await area.PresentAsync(ct).ConfigureAwait(false);
        var chunks = Plan(job.Access.Archives, present.Contains);
        var readAhead = ReadAhead;
        var workers = ParallelExtract.Workers;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var gate = new SemaphoreSlim(workers);
        var running = new List<Task>();
        var inFlight = 0;
        var state = await area.StateAsync(ct).ConfigureAwait(false);
        // recovery may reach its target (wal-fetch --end) while batches are still being extracted: stop the Borg
        // processes then. An agent that fails to answer stops everything too.
        var watch = Task.Run(async () =>
        {
            try
            {
                while (!failed.IsCancellationRequested && !Volatile.Read(ref state).Ended)
                {
                    await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                    Volatile.Write(ref state, await area.StateAsync(CancellationToken.None).ConfigureAwait(false));
                }
            }
            finally
            {
                await failed.CancelAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);
        try
        {
            for (var n = 0; n < chunks.Count && !Volatile.Read(ref state).Ended; n++)
            {
                await gate.WaitAsync(failed.Token).ConfigureAwait(false);
                // asked afresh before each batch: what was delivered and what replay took since
                while (await area.StateAsync(failed.Token).ConfigureAwait(false) is { Ended: false, ReplayWaits: false } now
                    && now.Waiting + Volatile.Read(ref inFlight) + chunks[n].Files.Count > readAhead)
                {
                    await Task.Delay(100, failed.Token).ConfigureAwait(false);
                }
                if (n == 1)
                {
                    FaultInjection.Point("wal-extract-second-batch");
                }
                var (entry, files) = chunks[n];
                var archive = entry.Archive;
                var repo = new BorgRepository(job.Access.RepositorySettingsFor(entry, TimeSpan.FromMinutes(10)), job.StateDirectory, NullLogger.Instance);
                var dir = Path.Combine(staging, n.ToString(CultureInfo.InvariantCulture));
                Interlocked.Add(ref inFlight, files.Count);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await ExtractChunkAsync(repo, archive, files, dir, area, failed.Token).ConfigureAwait(false);
                        await area.LogAsync(Line($"extracted {files[0]}..{files[^1]} ({files.Count} files) from {archive}"), CancellationToken.None).ConfigureAwait(false);
                    }
                    catch
                    {
                        await failed.CancelAsync().ConfigureAwait(false);
                        throw;
                    }
                    finally
                    {
                        Interlocked.Add(ref inFlight, -files.Count);
                        gate.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (Exception e) when (failed.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // a batch failed, the agent did, or we were stopped: that exception is what the caller sees, below
        }
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (watch.IsFaulted)
            {
                await watch.ConfigureAwait(false); // the agent's failure, which is what stopped us
            }
        }
        finally
        {
            await failed.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(watch).ConfigureAwait(false);
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static async Task ExtractChunkAsync(BorgRepository repo, string archive, List<string> files, string dir, WalAreaClient area, CancellationToken ct)
    {
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        archive = await WalArchiveLookup.ExtractListedAsync(repo, archive, dir, files, ct).ConfigureAwait(false);
        foreach (var file in files)
        {
            var source = Path.Combine(dir, file);
            // a link (even a dangling one) is there: DeliverAsync refuses it as a link, which is what it is
            if (!File.Exists(source) && new FileInfo(source).LinkTarget is null)
            {
                throw new InvalidDataException($"{archive} did not yield {file}");
            }
            await area.DeliverAsync(file, source, ct).ConfigureAwait(false);
            File.Delete(source);
        }
        await area.CommitAsync(ct).ConfigureAwait(false);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Marks the area's WAL as completely extracted.</summary>
    internal static Task WriteDoneAsync(WalAreaClient area, CancellationToken ct) => area.MarkAsync(DoneName, "all WAL extracted\n", ct);

    /// <summary>A line of <c>extractor.log</c>.</summary>
    internal static string Line(string text) => $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss.fff} UTC pgborg wal extractor: {text}";
}
