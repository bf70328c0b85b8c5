using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>
/// A restore gets its WAL from this process (<see cref="WalExtractorProcess"/>): started by pgcarestore once the base
/// is in place, detached from it, it extracts the cycle's WAL archives into the
/// restore area in WAL order — a few segments first so replay can begin, then larger batches, as many Borg processes at
/// a time as the base used (<see cref="ParallelExtract.Workers"/>) — while PostgreSQL already replays. Each file appears in the area only when complete (extracted into
/// <c>.incoming/N</c>, given to the service user, renamed). <c>pgborg wal-fetch</c> waits for a file this process
/// will still deliver, and fails hard (exit &gt; 125, PostgreSQL stops) if it stopped without delivering it.
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
    private const string IncomingName = ".incoming";
    private const UnixFileMode StagingMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

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

    /// <summary>True while an extractor holds the lock of <paramref name="area"/>.</summary>
    public static bool IsRunning(string area)
    {
        var path = Path.Combine(area, LockName);
        if (!File.Exists(path))
        {
            return false;
        }
        try
        {
            // a shared flock: refused while the extractor holds its exclusive one
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public static bool Ended(string area) => !Directory.Exists(area) || File.Exists(Path.Combine(area, EndedName));

    /// <summary>Extracts every planned batch, at most <c>workers</c> Borg processes at a time, in order.</summary>
    public static async Task ExtractAllAsync(string area, WalExtractorJob job, OsUser user, TextWriter log, CancellationToken ct)
    {
        // what wal-fetch already delivered is not extracted again (resume-wal after a stop)
        var served = ServedWal.Names(area);
        var chunks = Plan(job.Access.Archives, f => served.Contains(f) || File.Exists(Path.Combine(area, f)));
        var readAhead = ReadAhead;
        var incoming = Path.Combine(area, IncomingName);
        // root's own inside the service user's area: the service user can create or replace nothing in it while Borg
        // writes a file, which is then given to the service user (lchown) and renamed into the area. Readable (0755):
        // tools that copy the data directory (pg_basebackup, pg_rewind) and PostgreSQL's start-up sync open it
        if (Directory.Exists(incoming))
        {
            Directory.Delete(incoming, recursive: true); // half-extracted batches of an extractor that was killed
        }
        Directory.CreateDirectory(incoming, StagingMode);
        var workers = ParallelExtract.Workers;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var gate = new SemaphoreSlim(workers);
        var running = new List<Task>();
        var inFlight = 0;
        // recovery may reach its target (wal-fetch --end) while batches are still being extracted: stop the Borg processes then
        var watch = Task.Run(async () =>
        {
            while (!failed.IsCancellationRequested && !Ended(area))
            {
                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
            }
            await failed.CancelAsync().ConfigureAwait(false);
        }, CancellationToken.None);
        try
        {
            for (var n = 0; n < chunks.Count && !Ended(area); n++)
            {
                await gate.WaitAsync(failed.Token).ConfigureAwait(false);
                while (!Ended(area) && Waiting(area) + Volatile.Read(ref inFlight) + chunks[n].Files.Count > readAhead && !ReplayWaits(area))
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
                var dir = Path.Combine(incoming, n.ToString(CultureInfo.InvariantCulture));
                Interlocked.Add(ref inFlight, files.Count);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await ExtractChunkAsync(repo, archive, files, dir, area, user, failed.Token).ConfigureAwait(false);
                        Line(log, $"extracted {files[0]}..{files[^1]} ({files.Count} files) from {archive}");
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
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
            // a batch failed (or we were stopped): its exception is what the caller sees, below
        }
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            await failed.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
            if (Directory.Exists(incoming))
            {
                try
                {
                    Directory.Delete(incoming, recursive: true);
                }
                catch (IOException)
                {
                    // the area is going away under us (recovery ended)
                }
            }
        }
    }

    /// <summary>Extracted segments not yet taken by replay.</summary>
    private static int Waiting(string area) =>
        Directory.EnumerateFiles(area).Select(Path.GetFileName).Count(f => WalFileName.Classify(f!) is WalFileKind.Segment or WalFileKind.PartialSegment);

    /// <summary>wal-fetch waits for a file that is not here yet: the read-ahead limit must not hold it up.</summary>
    private static bool ReplayWaits(string area)
    {
        try
        {
            var wanted = File.ReadAllText(Path.Combine(area, WantedName)).Trim();
            return wanted.Length > 0 && !wanted.Contains('/', StringComparison.Ordinal) && !File.Exists(Path.Combine(area, wanted));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task ExtractChunkAsync(BorgRepository repo, string archive, List<string> files, string dir, string area, OsUser user, CancellationToken ct)
    {
        Directory.CreateDirectory(dir, StagingMode);
        archive = await WalArchiveLookup.ExtractListedAsync(repo, archive, dir, files, ct).ConfigureAwait(false);
        foreach (var file in files)
        {
            var source = Path.Combine(dir, file);
            if (!File.Exists(source))
            {
                throw new InvalidDataException($"{archive} did not yield {file}");
            }
            user.Own(source);
            var destination = Path.Combine(area, file);
            if (!File.Exists(destination))
            {
                File.Move(source, destination);
            }
        }
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Writes a marker file whole (temporary file, rename), owned by <paramref name="user"/> when we are root.</summary>
    internal static void WriteMarker(string area, string name, string text, OsUser? user = null)
    {
        var path = Path.Combine(area, name);
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        user?.Own(temp);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Marks the area's WAL as completely extracted.</summary>
    internal static void WriteDone(string area, OsUser user) => WriteMarker(area, DoneName, "all WAL extracted\n", user);

    internal static void Line(TextWriter log, string text) =>
        log.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss.fff} UTC pgborg wal extractor: {text}");
}
