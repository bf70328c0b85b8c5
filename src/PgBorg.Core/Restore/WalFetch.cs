using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Borg;

namespace PgBorg.Restore;

/// <summary>
/// <c>restore_command = 'pgborg wal-fetch %f %p'</c>, run by PostgreSQL as the service user in the data directory.
/// Exit codes follow PostgreSQL's rules: 0 = DEST written; 1 = not in the archive (the end of the archive: recovery
/// ends or switches timeline); any real error — repository unreachable, wrong passphrase, corrupt data — exits 255, which
/// PostgreSQL treats as fatal instead of ending recovery early and promoting without the missing WAL.
/// In "borg" mode a missing file is extracted together with the next files of its batch archive (prefetch), so replay
/// waits on one Borg process per batch, not per segment.
/// </summary>
public static class WalFetch
{
    public const int NotFound = 1;
    public const int Fatal = 255;
    public const int PrefetchCount = 32;

    public static async Task<int> RunAsync(string name, string destination, TextWriter error, CancellationToken ct)
    {
        try
        {
            var dataDirectory = Directory.GetCurrentDirectory();
            var contextPath = RestoreContext.PathFor(dataDirectory);
            if (!File.Exists(contextPath))
            {
                await error.WriteLineAsync($"pgborg wal-fetch: no restore context at {contextPath}: was this data directory restored by pgcarestore?").ConfigureAwait(false);
                return Fatal;
            }
            var context = RestoreContext.Read(contextPath);
            var area = RestoreContext.AreaFor(dataDirectory);
            var cached = Path.Combine(area, name);
            if (!File.Exists(cached))
            {
                var entry = context.Archives.FirstOrDefault(a => a.Files.Contains(name));
                if (entry is null)
                {
                    return NotFound;
                }
                var local = context.Mode == RestoreContext.LocalMode;
                if (File.Exists(Path.Combine(area, WalExtractor.LockName)))
                {
                    var problem = await AwaitExtractorAsync(area, cached, name, error, ct).ConfigureAwait(false);
                    if (problem is not null && local)
                    {
                        await error.WriteLineAsync($"pgborg wal-fetch {name}: {problem}; {RestartAdvice}").ConfigureAwait(false);
                        return Fatal;
                    }
                    if (problem is not null)
                    {
                        await error.WriteLineAsync($"pgborg wal-fetch {name}: {problem}; fetching from Borg directly").ConfigureAwait(false);
                    }
                }
                if (!File.Exists(cached))
                {
                    if (local)
                    {
                        // everything was extracted and this file is no longer here: served before (PostgreSQL keeps it in pg_wal)
                        return NotFound;
                    }
                    await PrefetchAsync(context, area, entry, name, ct).ConfigureAwait(false);
                    if (!File.Exists(cached))
                    {
                        await error.WriteLineAsync($"pgborg wal-fetch: {entry.Archive} did not yield {name}").ConfigureAwait(false);
                        return Fatal;
                    }
                }
            }
            Deliver(cached, destination, name);
            return 0;
        }
        catch (Exception e) when (e is BorgException or IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException or Processes.ProcessFailedException)
        {
            await error.WriteLineAsync($"pgborg wal-fetch {name}: {e.Message}").ConfigureAwait(false);
            return Fatal;
        }
    }

    /// <summary>
    /// The file is in the archive and <see cref="WalExtractor"/> (started by pgcarestore, in the background) delivers
    /// it into the area: waits as long as the extractor runs, telling it which file replay waits for (it then ignores
    /// its read-ahead limit). Returns null when the file is there or the extractor finished (the file was served
    /// before), else why it will not come — in local mode that is fatal: answering "not in the archive" would end
    /// recovery early and promote without the WAL.
    /// </summary>
    private static async Task<string?> AwaitExtractorAsync(string area, string cached, string name, TextWriter error, CancellationToken ct)
    {
        if (File.Exists(cached))
        {
            return null;
        }
        WalExtractor.WriteMarker(area, WalExtractor.WantedName, name);
        var started = DateTime.UtcNow;
        var reported = started;
        var log = Path.Combine(area, WalExtractor.LogName);
        while (!File.Exists(cached))
        {
            var failed = Path.Combine(area, WalExtractor.FailedName);
            if (File.Exists(failed))
            {
                return $"the background WAL extraction of pgcarestore failed: {File.ReadAllText(failed).Trim()} (log {log})";
            }
            if (!WalExtractor.IsRunning(area))
            {
                if (File.Exists(cached) || File.Exists(Path.Combine(area, WalExtractor.DoneName)))
                {
                    return null;
                }
                return $"the background WAL extraction of pgcarestore is not running and has not delivered this file (log {log})";
            }
            if (DateTime.UtcNow - reported > TimeSpan.FromSeconds(30))
            {
                reported = DateTime.UtcNow;
                await error.WriteLineAsync($"pgborg wal-fetch {name}: waiting {(reported - started).TotalSeconds:0} s for the background WAL extraction (log {log})").ConfigureAwait(false);
            }
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
        return null;
    }

    internal const string RestartAdvice = "recovery stopped so as not to end early; stop PostgreSQL and run, as root, `pgcarestore resume-wal` for this data directory, then start PostgreSQL again";

    /// <summary>
    /// Copies the file to DEST whole (temporary name, rename: DEST may be on another filesystem than the area). A
    /// segment then leaves the area (each is asked for once, and the area must not grow without bound); history files
    /// stay, PostgreSQL reads them more than once.
    /// </summary>
    private static void Deliver(string cached, string destination, string name)
    {
        var temp = destination + ".pgborg-tmp";
        File.Copy(cached, temp, overwrite: true);
        File.Move(temp, destination, overwrite: true);
        if (Archiving.WalFileName.Classify(name) is Archiving.WalFileKind.Segment or Archiving.WalFileKind.PartialSegment)
        {
            File.Delete(cached);
        }
    }

    private static async Task PrefetchAsync(RestoreContext context, string area, WalArchiveEntry entry, string name, CancellationToken ct)
    {
        var index = entry.Files.IndexOf(name);
        var batch = entry.Files.Skip(index).Take(PrefetchCount).Where(f => !File.Exists(Path.Combine(area, f))).ToList();
        var repo = new BorgRepository(context.RepositorySettings(TimeSpan.FromMinutes(5)), area, NullLogger.Instance);
        await repo.ExtractAsync(entry.Archive, area, batch, ct).ConfigureAwait(false);
    }

    /// <summary><c>recovery_end_command</c>: the restore area (prefetched WAL, Borg access) goes when recovery ends.</summary>
    public static int End(TextWriter error)
    {
        var area = RestoreContext.AreaFor(Directory.GetCurrentDirectory());
        try
        {
            if (Directory.Exists(area))
            {
                // a background extractor still running (recovery reached its target early) sees this and stops
                File.WriteAllText(Path.Combine(area, WalExtractor.EndedName), "");
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        Directory.Delete(area, recursive: true);
                        break;
                    }
                    catch (IOException) when (attempt < 50 && WalExtractor.IsRunning(area))
                    {
                        Thread.Sleep(100); // it is still writing a batch; it stops at the next check
                    }
                }
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"pgborg wal-fetch --end: cannot remove {area}: {e.Message}");
            return 1;
        }
    }
}
