using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Borg;

namespace PgBorg.Restore;

/// <summary>
/// <c>restore_command = 'pgborg wal-fetch %f %p'</c>, run by PostgreSQL as the service user in the data directory.
/// Exit codes follow PostgreSQL's rules: 0 = DEST written; 1 = not in the archive (the end of the archive: recovery
/// ends or switches timeline); any real error — repository unreachable, wrong passphrase, corrupt data — exits 255, which
/// PostgreSQL treats as fatal instead of ending recovery early and promoting without the missing WAL.
/// With a restore context (pgcarestore), the files of the restored cycle come from the restore area, where the
/// background extractor puts them, or in "borg" mode from Borg with the next files of their batch (prefetch); a standby
/// (<see cref="RestoreContext.Follow"/>) also looks up what was archived after the restore. Without one, the
/// configuration says where the instance's WAL is (<see cref="WalArchiveLookup"/>).
/// </summary>
public static class WalFetch
{
    public const int NotFound = 1;
    public const int Fatal = 255;
    public const int PrefetchCount = 32;

    /// <param name="configPath">Without a restore context (a hand-written restore_command, a standby set up by hand):
    /// the configuration to read the repository from; null for the default.</param>
    /// <param name="instanceName">Which instance's WAL; default: the one whose data directory this is, or the only one.</param>
    /// <param name="host">Whose host's archives; default: the configuration's host_name, or this host.</param>
    public static async Task<int> RunAsync(string name, string destination, TextWriter error, CancellationToken ct,
        string? configPath = null, string? instanceName = null, string? host = null)
    {
        try
        {
            var dataDirectory = Directory.GetCurrentDirectory();
            var contextPath = RestoreContext.PathFor(dataDirectory);
            if (!File.Exists(contextPath))
            {
                return await FromConfigurationAsync(name, destination, dataDirectory, configPath, instanceName, host, ct).ConfigureAwait(false);
            }
            var context = RestoreContext.Read(contextPath).WithCredentials();
            var area = RestoreContext.AreaFor(dataDirectory);
            var cached = Path.Combine(area, name);
            if (!File.Exists(cached) && context.Mode == RestoreContext.LocalMode && ServedWal.Find(area, dataDirectory, name) is { } again)
            {
                CopyTo(again, destination);
                return 0;
            }
            if (!File.Exists(cached))
            {
                var entry = context.Archives.FirstOrDefault(a => a.Files.Contains(name));
                if (entry is null && context.Follow is { } source)
                {
                    if (WalArea.IsRunning(area))
                    {
                        // the restore's extractor (root's Borg) is still at work on the repository; a second Borg of
                        // another user beside it can fail on its lock files. A standby asks again in a few seconds.
                        return NotFound;
                    }
                    // a standby: WAL archived after the restore, looked up among the instance's archives now
                    var repos = context.FollowRepositories(TimeSpan.FromMinutes(5)).Select(s => new BorgRepository(s, area, NullLogger.Instance)).ToList();
                    if (!await WalArchiveLookup.FetchAsync(repos, source.Host, source.Instance, name, source.WalSegmentSize, area, ct).ConfigureAwait(false))
                    {
                        return NotFound;
                    }
                }
                else if (entry is null)
                {
                    return NotFound;
                }
                var local = context.Mode == RestoreContext.LocalMode;
                if (entry is not null && File.Exists(Path.Combine(area, WalExtractor.LockName)))
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
                if (entry is not null && !File.Exists(cached))
                {
                    if (local)
                    {
                        // in the archive, yet the extraction ended without it: never "not found", which would end recovery early
                        await error.WriteLineAsync($"pgborg wal-fetch {name}: the background WAL extraction ended without delivering this file; {RestartAdvice}").ConfigureAwait(false);
                        return Fatal;
                    }
                    await PrefetchAsync(context, area, entry, name, ct).ConfigureAwait(false);
                    if (!File.Exists(cached))
                    {
                        await error.WriteLineAsync($"pgborg wal-fetch: {entry.Archive} did not yield {name}").ConfigureAwait(false);
                        return Fatal;
                    }
                }
            }
            Deliver(area, cached, destination, name, context.Mode == RestoreContext.LocalMode);
            return 0;
        }
        catch (FileNotFoundException e)
        {
            await error.WriteLineAsync($"pgborg wal-fetch {name}: {e.Message}; {RestartAdvice}").ConfigureAwait(false);
            return Fatal;
        }
        catch (Exception e) when (e is BorgException or IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException
            or Processes.ProcessFailedException or Configuration.ConfigException or PostgreSql.SelectionException or Dumps.NotFoundException)
        {
            await error.WriteLineAsync($"pgborg wal-fetch {name}: {e.Message}").ConfigureAwait(false);
            return Fatal;
        }
    }

    /// <summary>
    /// No restore context: the configuration says which repository holds this instance's WAL, and the file is looked
    /// up there (<see cref="WalArchiveLookup"/>). Borg's state and the files fetched ahead live in the restore area,
    /// which the service user can write; the passphrase stays in the configuration.
    /// </summary>
    private static async Task<int> FromConfigurationAsync(string name, string destination, string dataDirectory,
        string? configPath, string? instanceName, string? host, CancellationToken ct)
    {
        var config = Configuration.PgBorgConfig.Load(Configuration.PgBorgConfig.ResolvePath(configPath));
        var instances = PostgreSql.InstanceCatalog.Load(config);
        var instance = instanceName is null
            ? instances.FirstOrDefault(i => Processes.PathIdentity.Same(i.DataDirectory, dataDirectory)) ?? PostgreSql.InstanceCatalog.Select(instances, null)
            : PostgreSql.InstanceCatalog.Select(instances, instanceName);
        var area = RestoreContext.AreaFor(dataDirectory);
        Directory.CreateDirectory(area, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var cached = Path.Combine(area, name);
        if (!File.Exists(cached))
        {
            var repos = Archiving.ArchiveRepositories.Open(config.ArchiveFor(instance.Name), area, NullLogger.Instance);
            var segmentSize = WalArchiveLookup.SegmentSizeIn(dataDirectory);
            if (!await WalArchiveLookup.FetchAsync([repos.Wal, repos.Archive], host ?? config.HostName ?? Environment.MachineName, instance.Name, name, segmentSize, area, ct).ConfigureAwait(false))
            {
                return NotFound;
            }
        }
        Deliver(area, cached, destination, name, local: false);
        return 0;
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
        WalArea.WriteMarker(area, WalExtractor.WantedName, name);
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
            if (!WalArea.IsRunning(area))
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
    /// Copies the file to DEST whole, then a segment leaves the area (the area must not grow without bound); history
    /// files stay, PostgreSQL reads them more than once. In local mode the area is the only copy wal-fetch can reach,
    /// so the segment goes to <see cref="ServedWal"/> rather than away; in Borg mode it can be fetched again.
    /// </summary>
    private static void Deliver(string area, string cached, string destination, string name, bool local)
    {
        CopyTo(cached, destination);
        if (Archiving.WalFileName.Classify(name) is Archiving.WalFileKind.Segment or Archiving.WalFileKind.PartialSegment)
        {
            if (local)
            {
                ServedWal.Keep(area, cached, name);
            }
            else
            {
                File.Delete(cached);
            }
        }
    }

    /// <summary>Temporary name, then rename: DEST may be on another filesystem than the area, and is never seen half-written.</summary>
    private static void CopyTo(string source, string destination)
    {
        var temp = destination + ".pgborg-tmp";
        File.Copy(source, temp, overwrite: true);
        File.Move(temp, destination, overwrite: true);
    }

    private static async Task PrefetchAsync(RestoreContext context, string area, WalArchiveEntry entry, string name, CancellationToken ct)
    {
        var index = entry.Files.IndexOf(name);
        var batch = entry.Files.Skip(index).Take(PrefetchCount).Where(f => !File.Exists(Path.Combine(area, f))).ToList();
        var repo = new BorgRepository(context.RepositorySettingsFor(entry, TimeSpan.FromMinutes(5)), area, NullLogger.Instance);
        await WalArchiveLookup.ExtractListedAsync(repo, entry.Archive, area, batch, ct).ConfigureAwait(false);
    }

    /// <summary><c>recovery_end_command</c>: the restore area (prefetched WAL) and the Borg credentials go when recovery ends.</summary>
    public static int End(TextWriter error)
    {
        var area = RestoreContext.AreaFor(Directory.GetCurrentDirectory());
        try
        {
            var contextPath = RestoreContext.PathFor(Directory.GetCurrentDirectory());
            if (File.Exists(contextPath) && RestoreContext.Read(contextPath).Credentials is { } credentials)
            {
                RestoreCredentials.Remove(credentials);
            }
            if (Directory.Exists(area))
            {
                // a background extractor still running (recovery reached its target early) sees this and stops: it
                // checks every 0.2 s and stops its Borg processes, and its agent lets go of the lock
                File.WriteAllText(Path.Combine(area, WalExtractor.EndedName), "");
                for (var waited = 0; waited < 300 && WalArea.IsRunning(area); waited++)
                {
                    Thread.Sleep(100);
                }
                Directory.Delete(area, recursive: true);
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            error.WriteLine($"pgborg wal-fetch --end: cannot remove {area}: {e.Message}");
            return 1;
        }
    }
}
