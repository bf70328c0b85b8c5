using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>
/// Carries out a <see cref="RestorePlan"/>: refuses a running instance or a non-empty target, extracts the base (in
/// parallel) and its tablespaces into temporary siblings, writes backup_label, tablespace_map, the recovery settings
/// and recovery.signal, gives everything to the service user (0700), prepares the WAL for wal-fetch, and only then
/// renames the directories into place — an interrupted restore leaves no half-restored data directory behind.
/// </summary>
public sealed class Restorer(Archiving.ArchiveRepositories repos, PgInstance instance, ILogger log, TextWriter output)
{
    /// <param name="Standby">Set up a standby that follows <paramref name="Standby"/>'s source in the archive
    /// (standby.signal, no target) instead of a recovery that ends.</param>
    /// <param name="FilesIfMissing">Files (name, text) written into the data directory, 0600, where the base has none.</param>
    public sealed record Options(string TargetDirectory, IReadOnlyDictionary<uint, string> TablespaceMap, string WalFetchBinary, ArchiveSource? Standby = null,
        IReadOnlyDictionary<string, string>? FilesIfMissing = null);

    /// <summary>Gets the bytes of the base and its tablespaces as Borg extracts them (an operator's progress display).</summary>
    public IProgress<BorgTransfer>? Transfer { get; init; }

    public async Task RestoreAsync(RestorePlan plan, Options options, CancellationToken ct)
    {
        var target = Path.GetFullPath(options.TargetDirectory);
        RefuseUnsafe(target, plan, options);
        var stamp = Stamp.Of(DateTimeOffset.UtcNow);
        var credentialsDirectory = RestoreCredentials.DirectoryFor(target);
        var anchors = new List<DirectoryAnchor>();
        var moved = new HashSet<DirectoryAnchor>();
        var owned = false;
        WalAccess access;
        RestoreContext context;
        try
        {
            // made afresh next to where they go, and worked in only through the handle root holds: the parent may be
            // the service user's, who could otherwise swap a directory for a link while root's Borg writes in it.
            // They stay root's (0700) until complete, so nobody can plant anything inside either; then chown -R.
            var staging = Anchor(anchors, $"{target}.pgborg-extract-{stamp}");
            var tablespaceStaging = plan.Base.Tablespaces.ToDictionary(t => t.Oid, t => Anchor(anchors, $"{Location(t, options)}.pgborg-extract-{stamp}"));
            var workers = ParallelExtract.Workers;
            var area = RestoreContext.AreaFor(staging.Path);
            Directory.CreateDirectory(area, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // the probe as the service user runs while the base is extracted
            var probe = ServiceUserAccess.ProbeAsync(repos, instance.User, plan, options.Standby is not null, log, ct);
            using var extracted = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var flusher = Durability.FlushWhileAsync(anchors.Select(a => a.Path).ToList(), extracted.Token);
            try
            {
                await ExtractBaseAsync(plan, staging, tablespaceStaging, workers, ct).ConfigureAwait(false);
            }
            finally
            {
                await extracted.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(Task.WhenAny(probe), flusher).ConfigureAwait(false);
            }
            access = await probe.ConfigureAwait(false);
            if (options.Standby is not null && !access.FromBorg)
            {
                throw new UnsafeException($"{access.Reason(instance.User.Name)}a standby fetches its WAL from Borg as that user "
                    + "(restore_command); give it read access to the repository (for example through borg serve) "
                    + "or restore without --standby");
            }
            if (options.Standby is not null && repos.Wal.IsLocal && FileStatus.Of(repos.Wal.Location)?.Uid is { } owner && owner != instance.User.Uid)
            {
                // readable now, but what another user's Borg writes later (lock roster, new segments) will not be
                await output.WriteLineAsync($"warning: {repos.Wal.Location} is a local repository of another user than {instance.User.Name}: "
                    + $"once that user's pgcad writes to it, the standby's wal-fetch may not read it; reach it through borg serve, or run pgcad as {instance.User.Name}").ConfigureAwait(false);
            }
            context = await PrepareWalAsync(plan, area, credentialsDirectory, access.FromBorg, options.Standby, ct).ConfigureAwait(false);
            foreach (var note in WriteRecoveryFiles(staging.Path, plan, options))
            {
                await output.WriteLineAsync(note).ConfigureAwait(false);
            }
            foreach (var (name, text) in options.FilesIfMissing ?? new Dictionary<string, string>())
            {
                var path = Path.Combine(staging.Path, name);
                if (FileStatus.OfEntry(path) is null)
                {
                    WriteNew(path, text);
                }
            }
            // "/." so that chown walks the directory the handle reaches, not the /proc link itself
            owned = true;
            await OwnAsync(anchors.Select(a => a.Path + "/."), ct).ConfigureAwait(false);
            foreach (var anchor in anchors)
            {
                Durability.SyncFilesystem(anchor.Path);
            }

            foreach (var ts in plan.Base.Tablespaces)
            {
                MoveIntoPlace(tablespaceStaging[ts.Oid], Location(ts, options), moved);
            }
            MoveIntoPlace(staging, target, moved);
            foreach (var place in plan.Base.Tablespaces.Select(ts => Location(ts, options)).Append(target))
            {
                Durability.FsyncDirectory(Path.GetDirectoryName(place)!);
            }
        }
        catch
        {
            try
            {
                foreach (var anchor in anchors.Where(a => !moved.Contains(a)))
                {
                    await RemoveAnchoredAsync(anchor, owned).ConfigureAwait(false);
                }
                RestoreCredentials.RemoveDirectory(credentialsDirectory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ProcessFailedException)
            {
                Log.RestoreLeftovers(log, e.Message);
            }
            throw;
        }
        finally
        {
            anchors.ForEach(a => a.Dispose());
        }
        if (plan.Cycle.WalBatches.Count > 0)
        {
            await StartWalExtractionAsync(context, RestoreContext.AreaFor(target), access, options, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The WAL comes out of Borg behind the restore command, while PostgreSQL already replays (<see cref="WalExtractor"/>):
    /// needed when the service user cannot read the repository, and faster when it can (wal-fetch then falls back to
    /// Borg itself should the extractor stop).
    /// </summary>
    private async Task StartWalExtractionAsync(RestoreContext context, string area, WalAccess access, Options options, CancellationToken ct)
    {
        var job = WalExtractorJob.For(context, repos.Archive, instance.User);
        var count = context.Archives.Sum(a => a.Files.Count);
        try
        {
            var pid = await WalExtractorLauncher.StartAsync(options.WalFetchBinary, area, job, ct).ConfigureAwait(false);
            await output.WriteLineAsync(access.Reason(instance.User.Name)
                + $"the cycle's WAL ({count} files) is being extracted into {area} in the background "
                + $"(process {pid}, log {Path.Combine(area, WalExtractor.LogName)}); "
                + "PostgreSQL can be started now, recovery waits for each file").ConfigureAwait(false);
        }
        catch (IOException e) when (access.FromBorg)
        {
            Log.ExtractorNotStarted(log, e.Message);
        }
        catch (IOException e)
        {
            Log.ExtractingWalNow(log, e.Message);
            await output.WriteLineAsync($"{access.Reason(instance.User.Name)}extracting the cycle's WAL ({count} files) into {area} now")
                .ConfigureAwait(false);
            await using var agent = await WalAreaClient.StartAsync(area, instance.User, ct).ConfigureAwait(false);
            var staging = WalExtractor.StagingFor(job.StateDirectory, area);
            using var claimed = await WalExtractor.ClaimStagingAsync(staging, ct).ConfigureAwait(false);
            await WalExtractor.ExtractAllAsync(agent, staging, job, ct).ConfigureAwait(false);
            await WalExtractor.WriteDoneAsync(agent, ct).ConfigureAwait(false);
        }
    }

    private async Task ExtractBaseAsync(RestorePlan plan, DirectoryAnchor staging, IReadOnlyDictionary<uint, DirectoryAnchor> tablespaceStaging, int workers,
        CancellationToken ct)
    {
        var isolatedAt = IsolationFor(staging);
        await output.WriteLineAsync($"extracting base {plan.Cycle.BaseArchive} into {staging.Name}{HowSplit(workers, plan.Base.ExtractHints)}").ConfigureAwait(false);
        await ParallelExtract.RunAsync(repos.Archive, plan.Cycle.BaseArchive!, staging.Path, workers, ct, plan.Base.ExtractHints, Transfer, isolatedAt)
            .ConfigureAwait(false);
        foreach (var ts in plan.Base.Tablespaces)
        {
            var archive = plan.Cycle.TablespaceArchives.Single(a => a.Contains($"~{ArchiveName.TablespaceKind}~{ts.Oid}~", StringComparison.Ordinal));
            var into = tablespaceStaging[ts.Oid];
            await output.WriteLineAsync($"extracting tablespace {ts.Oid} into {into.Name}{HowSplit(workers, ts.ExtractHints)}").ConfigureAwait(false);
            await ParallelExtract.RunAsync(repos.Archive, archive, into.Path, workers, ct, ts.ExtractHints, Transfer, IsolationFor(into)).ConfigureAwait(false);
        }
    }

    /// <summary>In the state directory: where each extracting Borg sees its staging directory, in a namespace of its own.</summary>
    private const string ExtractMount = "extract-mount";

    /// <summary>
    /// Borg extracts by the path of its working directory. Where another user can change a name on the way to the
    /// staging directory (a target whose parent is the service user's, as <c>/var/lib/postgresql/15</c> is on Debian),
    /// Borg works in a path only root can reach instead (<see cref="MountIsolation"/>). Decided from the directory
    /// itself, where the kernel says it is now, not from the path it was made at (which a swapped link could make look
    /// trusted): where nobody else can write above it (verify's scratch directory in a root-only parent), it needs no
    /// namespace, which pgborg-verify.service does not allow.
    /// </summary>
    private string? IsolationFor(DirectoryAnchor staging) =>
        !OsUser.IsRoot || (staging.CurrentPath is { } now && TrustedDirectory.Is(Path.GetDirectoryName(now)!))
            ? null
            : TrustedDirectory.InState(repos.Archive.StateDirectory, ExtractMount);

    private static string HowSplit(int workers, ExtractHints? hints) => workers <= 1 ? ""
        : hints is null ? $" ({workers} Borg processes, split after listing the archive's items)"
        : $" ({workers} Borg processes, split by the sizes recorded at backup)";

    private static string Location(TablespaceInfo ts, Options options) => options.TablespaceMap.GetValueOrDefault(ts.Oid) ?? ts.Path;

    private void RefuseUnsafe(string target, RestorePlan plan, Options options)
    {
        if (IsRunning(target))
        {
            throw new UnsafeException($"PostgreSQL is running in {target}: stop it first (and pgcad)");
        }
        RefuseNonEmpty(target, "target directory");
        foreach (var ts in plan.Base.Tablespaces)
        {
            RefuseNonEmpty(Location(ts, options), $"tablespace {ts.Oid} directory");
        }
        foreach (var oid in options.TablespaceMap.Keys.Where(k => plan.Base.Tablespaces.All(t => t.Oid != k)))
        {
            throw new FormatException($"--tablespace-map {oid}=...: the base has no tablespace {oid} (it has: {string.Join(", ", plan.Base.Tablespaces.Select(t => $"{t.Oid}={t.Path}"))})");
        }
    }

    private static void RefuseNonEmpty(string dir, string what)
    {
        if (File.Exists(dir) || (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any()))
        {
            throw new UnsafeException($"{what} {dir} is not empty; refusing to overwrite it");
        }
    }

    private static bool IsRunning(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return false;
        }
        var first = File.ReadLines(pidFile).FirstOrDefault();
        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Native.kill(pid, 0) == 0;
    }

    /// <summary>
    /// backup_label and tablespace_map come from the base's comment: bases made before they were stored as files
    /// (see <see cref="BaseBackup"/>) hold none, and the extracted map names the original locations, not those of
    /// --tablespace-map. Both replace what the extract brought back. Every file written here is made anew (a link the
    /// base brought back, planted in the live data directory, is removed, not written through), and pg_wal is a
    /// directory of the data directory's own.
    /// </summary>
    /// <returns>What the operator should know (pg_wal was a link).</returns>
    private static List<string> WriteRecoveryFiles(string dataDir, RestorePlan plan, Options options)
    {
        var notes = new List<string>();
        WriteNew(Path.Combine(dataDir, BaseBackup.BackupLabelName), plan.Base.BackupLabel);
        File.Delete(Path.Combine(dataDir, TablespaceMapFile.Name));
        if (plan.Base.Tablespaces.Count > 0)
        {
            // PostgreSQL recreates the pg_tblspc links from this file at the start of recovery
            var map = new StringBuilder();
            var links = RealDirectory(Path.Combine(dataDir, "pg_tblspc"));
            foreach (var ts in plan.Base.Tablespaces)
            {
                map.Append(CultureInfo.InvariantCulture, $"{ts.Oid} {Location(ts, options)}\n");
                var link = Path.Combine(links, ts.Oid.ToString(CultureInfo.InvariantCulture));
                if (FileStatus.OfEntry(link) is not null)
                {
                    File.Delete(link);
                }
                File.CreateSymbolicLink(link, Location(ts, options));
            }
            WriteNew(Path.Combine(dataDir, TablespaceMapFile.Name), map.ToString());
        }
        // a pg_wal that was a link (initdb --waldir) would have the restored server write into the original's WAL
        // directory: a copy restored beside the original (verify --restore, a test restore) would overwrite its WAL
        var pgWal = Path.Combine(dataDir, "pg_wal");
        if (new FileInfo(pgWal).LinkTarget is { } walTarget)
        {
            File.Delete(pgWal);
            notes.Add($"pg_wal was a link to {walTarget} in the base; it is restored as a directory of the data directory, "
                + "so this copy never writes into another cluster's WAL. To keep WAL elsewhere again, stop PostgreSQL, move "
                + "pg_wal there and link it back");
        }
        Directory.CreateDirectory(Path.Combine(RealDirectory(pgWal), "archive_status"));
        var auto = Path.Combine(dataDir, "postgresql.auto.conf");
        var kept = FileStatus.OfEntry(auto) is { IsRegularFile: true }
            ? File.ReadAllLines(auto).Where(l => !IsRecoverySetting(l)).ToList()
            : ["# Do not edit this file manually!", "# It will be overwritten by the ALTER SYSTEM command."];
        kept.Add($"# recovery settings written by pgcarestore {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC: restore of cycle {plan.Cycle.Stamp} to {plan.Target}");
        foreach (var (k, v) in plan.RecoverySettings)
        {
            kept.Add($"{k} = '{v.Replace("'", "''", StringComparison.Ordinal)}'");
        }
        kept.Add($"recovery_end_command = '{options.WalFetchBinary} wal-fetch --end'");
        WriteNew(auto, string.Join('\n', kept) + "\n");
        // a standby keeps replaying what is archived after the restore, until promoted; recovery.signal ends at the target
        var (signal, other) = options.Standby is null ? ("recovery.signal", "standby.signal") : ("standby.signal", "recovery.signal");
        WriteNew(Path.Combine(dataDir, signal), "");
        File.Delete(Path.Combine(dataDir, other));
        return notes;
    }

    /// <summary>Replaces whatever is at <paramref name="path"/> (a link is removed, not followed) with a new file, 0600.</summary>
    private static void WriteNew(string path, string text)
    {
        if (FileStatus.OfEntry(path) is { IsDirectory: true })
        {
            throw new IOException($"{path} is a directory in the base, where a file belongs");
        }
        File.Delete(path);
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(Encoding.UTF8.GetBytes(text));
    }

    /// <summary><paramref name="path"/> as a directory of its own: a link there (from the base) is replaced by one.</summary>
    private static string RealDirectory(string path)
    {
        if (FileStatus.OfEntry(path) is { IsDirectory: false })
        {
            File.Delete(path);
        }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static bool IsRecoverySetting(string line)
    {
        var t = line.TrimStart();
        return t.StartsWith("restore_command", StringComparison.Ordinal) || t.StartsWith("recovery_", StringComparison.Ordinal)
            || t.StartsWith("# recovery settings written by pgcarestore", StringComparison.Ordinal);
    }

    /// <summary>
    /// wal-fetch runs as the service user. If that user can read the repository it fetches from Borg in batches;
    /// otherwise (a local repository only root can read) <see cref="WalExtractor"/> extracts the cycle's WAL into the
    /// restore area in the background, once the data directory is in place.
    /// </summary>
    private async Task<RestoreContext> PrepareWalAsync(RestorePlan plan, string area, string credentialsDirectory, bool fromBorg, ArchiveSource? follow,
        CancellationToken ct)
    {
        var archives = plan.Cycle.WalBatches.Select(w => new WalArchiveEntry(w.Archive, [.. w.Files], w.InWalRepository)).ToList();
        var s = repos.Archive.Settings;
        string? credentials = null;
        if (fromBorg)
        {
            credentials = new RestoreCredentials(s.Passphrase, s.PassCommand, new Dictionary<string, string>(s.Environment))
                .Write(credentialsDirectory, instance.User);
        }
        var context = new RestoreContext(fromBorg ? RestoreContext.BorgMode : RestoreContext.LocalMode, s.Location, null, null, [], archives, credentials, follow,
            repos.Wal.Location);
        var path = Path.Combine(area, "context.json");
        await File.WriteAllTextAsync(path, context.ToJson(), ct).ConfigureAwait(false);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return context;
    }

    private async Task OwnAsync(IEnumerable<string> directories, CancellationToken ct)
    {
        if (!OsUser.IsRoot)
        {
            return;
        }
        foreach (var dir in directories)
        {
            // chown -R without following links (tablespace links point at directories owned separately)
            var owner = $"{instance.User.Uid}:{instance.User.Gid}";
            var r = await ChildProcess.RunAsync(new ProcessSpec("/usr/bin/chown", ["-R", "-h", "--", owner, dir]) { WorkingDirectory = "/" }, ct).ConfigureAwait(false);
            r.EnsureSuccess();
        }
    }

    private static DirectoryAnchor Anchor(List<DirectoryAnchor> anchors, string path)
    {
        var anchor = DirectoryAnchor.Create(path);
        anchors.Add(anchor);
        return anchor;
    }

    /// <summary>Renames the staging directory into place, and makes sure what moved is the directory restored into.</summary>
    private static void MoveIntoPlace(DirectoryAnchor staging, string target, HashSet<DirectoryAnchor> moved)
    {
        File.SetUnixFileMode(staging.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Directory.Exists(target))
        {
            Directory.Delete(target); // empty: checked before anything was extracted
        }
        Directory.Move(staging.Name, target);
        moved.Add(staging);
        if (!staging.IsAt(target))
        {
            throw new UnsafeException($"{staging.Name} was replaced while the restore worked in it: {target} now holds something else, "
                + "which did not come from the archive; remove it");
        }
    }

    /// <summary>
    /// After a failure: empties the staging directory through its handle (links in it are removed, not followed) and
    /// removes its name if that still is this directory. Once it was given to the service user, that user empties it:
    /// root walking a tree another user can change could be led elsewhere by a link swapped in on the way.
    /// </summary>
    private async Task RemoveAnchoredAsync(DirectoryAnchor staging, bool owned)
    {
        if (owned)
        {
            // by name: the service user cannot reach root's handle, and through a swapped name it reaches only what
            // it could remove anyway
            var children = Directory.EnumerateFileSystemEntries(staging.Path).Select(c => Path.Combine(staging.Name, Path.GetFileName(c))).ToList();
            if (children.Count > 0 && staging.IsAt(staging.Name))
            {
                (await TreeRemoval.AsUserAsync(instance.User, children).ConfigureAwait(false)).EnsureSuccess();
            }
        }
        else
        {
            foreach (var entry in new DirectoryInfo(staging.Path).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo dir && dir.LinkTarget is null)
                {
                    dir.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }
        if (staging.IsAt(staging.Name))
        {
            Directory.Delete(staging.Name);
        }
    }
}
