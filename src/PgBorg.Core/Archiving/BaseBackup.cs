using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Snapshots;

namespace PgBorg.Archiving;

/// <summary>
/// One base backup: non-exclusive backup mode on the session, a snapshot (btrfs, reflink or direct), backup mode
/// ended (right after the snapshot, or after Borg has read a live directory), one archive per tablespace and one
/// for the data directory. <c>backup_label</c> and <c>tablespace_map</c> go into the base archive twice: as files
/// at the data directory's root, so that Borg alone can restore it (README, "Break glass"), and in the comment with
/// the rest of the metadata, so that a restore can choose a base without extracting it. Neither file is ever written
/// into a snapshot (btrfs's is read-only) and backup_label never into the live data directory (a server that crashed
/// would start from the backup's checkpoint): Borg reads backup_label from stdin after the data directory
/// (<see cref="BorgLateFile"/>), tablespace_map from the live directory (<see cref="TablespaceMapFile"/>). Backup mode
/// ends on every path: the session helper ends the session when pgcad lets go of it, whatever the reason.
/// </summary>
/// <param name="transfer">Gets the bytes Borg has read (pgcad --once --new-cycle's progress display).</param>
public sealed class BaseBackup(BorgRepository repo, string host, PgInstance instance, ArchiveSettings settings, ILogger log, Action? heartbeat = null,
    IProgress<BorgTransfer>? transfer = null)
{
    /// <summary>
    /// Data files change in scattered 8 KiB pages; a page-aligned fixed chunker stores about what changed instead of
    /// ~2 MiB around every change (Borg's default buzhash: 94% of a file again for 1% of its pages changed, fixed 64 KiB:
    /// 7.8%, fixed 8 KiB: 1.0%). 64 KiB keeps the chunk index at 16,384 entries per GiB (~2.6 MiB of RAM at ~164 B each),
    /// where 8 KiB would need eight times that for one-eighth of the dedup gain; see bench/archive for the measurement.
    /// Larger data directories get larger chunks (<see cref="ChunkSizing"/>, chosen once by <see cref="BaseChunker"/>).
    /// </summary>
    public const string DefaultChunker = "fixed,65536";

    /// <summary>What PostgreSQL's documentation lists as safe to omit, plus what pgborg writes back itself.</summary>
    public static readonly IReadOnlyList<string> DataExcludes =
    [
        "sh:pg_wal/*", "sh:postmaster.pid", "sh:postmaster.opts", "sh:pg_replslot/*", "sh:pg_dynshmem/*", "sh:pg_notify/*",
        "sh:pg_serial/*", "sh:pg_snapshots/*", "sh:pg_stat_tmp/*", "sh:pg_subtrans/*", "sh:**/pgsql_tmp*", "sh:**/pg_internal.init",
        "sh:backup_label", "sh:backup_label.old", "sh:tablespace_map", "sh:recovery.signal", "sh:standby.signal",
        "sh:" + Restore.RestoreContext.AreaName,
    ];

    /// <summary>The file at the data directory's root that tells PostgreSQL where recovery of a base backup starts.</summary>
    public const string BackupLabelName = "backup_label";

    public static readonly IReadOnlyList<string> TablespaceExcludes = ["sh:**/pgsql_tmp*", "sh:**/pg_internal.init"];

    public sealed record Result(string Archive, BaseMetadata Metadata, BorgArchiveStats Stats, TimeSpan Elapsed);

    public async Task<Result> TakeAsync(ServerSession session, ServerSettings server, string cycle, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        Stamp.TryParse(cycle, out var cycleTime);
        var tablespaces = Tablespaces.Read(instance.DataDirectory);
        Tablespaces.EnsureGenuine(instance.DataDirectory, tablespaces);
        // Borg's look-up of the chunker (a second or two) runs beside pg_backup_start's checkpoint; should it fail once
        // backup mode began, the caller's session ends backup mode when it closes
        var choosing = BaseChunker.ChooseAsync(repo, host, instance.Name, instance.DataDirectory, tablespaces,
            settings.Repository.ChunkerParams, ct);
        SessionReply start;
        try
        {
            start = await session.StartBackupAsync($"pgborg {host} {instance.Name} {cycle}", ct).ConfigureAwait(false);
        }
        finally
        {
            await Task.WhenAny(choosing).ConfigureAwait(false);
        }
        var (chunker, chunkerReason) = await choosing.ConfigureAwait(false);
        Log.BaseChunker(log, instance.Name, chunker, chunkerReason);
        var map = TablespaceMapFile.Place(instance.DataDirectory, instance.User, instance.Name, log);
        try
        {
            return await ReadAsync(session, server, cycle, cycleTime, tablespaces, chunker, start, map, watch, ct).ConfigureAwait(false);
        }
        finally
        {
            map.Remove();
        }
    }

    /// <summary>The snapshot, the archives, and backup mode's end, once pg_backup_start has returned <paramref name="start"/>.</summary>
    private async Task<Result> ReadAsync(ServerSession session, ServerSettings server, string cycle, DateTimeOffset cycleTime,
        IReadOnlyList<TablespaceLocation> tablespaces, string chunker, SessionReply start, TablespaceMapFile map, Stopwatch watch, CancellationToken ct)
    {
        SessionReply? stop = null;
        string method;
        var stats = new List<BorgArchiveStats>();
        var snapshot = await SnapshotTaker.TakeAsync(settings.Snapshot, new SnapshotSource(instance.DataDirectory, tablespaces, instance.User, cycle), log, ct).ConfigureAwait(false);
        await using (snapshot)
        {
            method = snapshot.Method;
            FaultInjection.Point("base-after-snapshot");
            if (method != "direct")
            {
                map.Remove();
                stop = await session.StopBackupAsync(ct).ConfigureAwait(false);
            }
            var preliminary = Metadata(server, cycle, start, stop, method, tablespaces, complete: false);
            // a snapshot does not change while Borg reads it, so any warning there means a file is missing; the live
            // directory (direct) changes under Borg by design and WAL replay repairs what it read mid-write
            Func<string, bool>? tolerated = stop is null ? BorgRepository.IsLiveDirectoryChange : null;
            var tablespaceHints = new Dictionary<uint, ExtractHints>();
            foreach (var ts in tablespaces)
            {
                var largeInTablespace = ExtractHints.FindLarge(snapshot.TablespacePaths[ts.Oid]);
                var name = new ArchiveName(host, instance.Name, instance.MajorVersion, ArchiveName.TablespaceKind, [ts.Oid.ToString(System.Globalization.CultureInfo.InvariantCulture)], cycleTime).ToString();
                var filesCache = FilesCache(snapshot.TablespacePaths[ts.Oid], snapshot.TablespaceFilesCache(ts.Oid));
                var r = await repo.CreateFromPathsAsync(name, snapshot.TablespacePaths[ts.Oid], ["."], preliminary.ToJson(), ct,
                    [.. TablespaceExcludes, .. UnloggedRelations.Excludes(snapshot.TablespacePaths[ts.Oid])], chunker, filesCache: filesCache is not null, progress: heartbeat,
                    tolerateWarning: tolerated, filesCacheMode: filesCache, filesCacheSuffix: FilesCacheSuffix($"tblspc-{ts.Oid}"), transfer: transfer).ConfigureAwait(false);
                stats.Add(r.Archive.Stats);
                tablespaceHints[ts.Oid] = new ExtractHints(r.Archive.Stats.NFiles, r.Archive.Stats.OriginalSize, largeInTablespace);
            }
            var large = ExtractHints.FindLarge(snapshot.DataPath);
            FaultInjection.Point("base-before-create");
            var baseName = new ArchiveName(host, instance.Name, instance.MajorVersion, ArchiveName.BaseKind, [], cycleTime).ToString();
            var dataFilesCache = FilesCache(snapshot.DataPath, snapshot.DataFilesCache);
            // a tablespace_map left in the data directory is not this base's unless it was placed for it
            var excludes = map.Placed ? DataExcludes.Where(p => p != "sh:" + TablespaceMapFile.Name) : DataExcludes;
            var label = new BorgLateFile(BackupLabelName, instance.User.Name, async labelCt =>
            {
                // direct: Borg has read the live directory, backup mode ends now
                stop ??= await session.StopBackupAsync(labelCt).ConfigureAwait(false);
                return Encoding.UTF8.GetBytes(stop.LabelFile ?? "");
            });
            var created = await repo.CreateFromPathsAsync(baseName, snapshot.DataPath, ["."], preliminary.ToJson(), ct,
                [.. excludes, .. UnloggedRelations.Excludes(snapshot.DataPath)], chunker, filesCache: dataFilesCache is not null, progress: heartbeat,
                tolerateWarning: tolerated, filesCacheMode: dataFilesCache, filesCacheSuffix: FilesCacheSuffix("data"), transfer: transfer, lateFile: label)
                .ConfigureAwait(false);
            stats.Add(created.Archive.Stats);
            map.Remove();
            if (stop is null)
            {
                throw new BorgArchiveIncompleteException(baseName, repo.Location, $"Borg stored it without reading its {BackupLabelName}");
            }
            map.Verify(stop.TablespaceMap ?? "", cycle);
            var added = stats.Any(s => s.DeduplicatedSize is null) ? null : stats.Sum(s => s.DeduplicatedSize);
            var total = new BorgArchiveStats(stats.Sum(s => s.OriginalSize), stats.Sum(s => s.CompressedSize), added, stats.Sum(s => s.NFiles));
            // the final comment (complete, with the sizes) is written once the WAL up to the stop segment is in Borg
            var metadata = Metadata(server, cycle, start, stop, method, tablespaces, complete: false) with
            {
                OriginalSize = total.OriginalSize,
                CompressedSize = total.CompressedSize,
                DeduplicatedSize = total.DeduplicatedSize,
            };
            metadata = WithHints(metadata, created.Archive.Stats, large, tablespaceHints);
            return new Result(baseName, metadata, total, watch.Elapsed);
        }
    }

    /// <summary>
    /// The files cache mode for one directory of the snapshot (logged), or null to read every file. A snapshot never
    /// changes while Borg reads it, so whatever the method allows is used (<see cref="FilesCacheModes"/>); a live
    /// directory (direct, or a tablespace that fell back to it) is always read in full.
    /// </summary>
    private string? FilesCache(string path, string? mode)
    {
        if (mode is null)
        {
            Log.BaseNoFilesCache(log, instance.Name, path);
            return null;
        }
        Log.BaseFilesCache(log, instance.Name, path, mode);
        return mode;
    }

    /// <summary>
    /// A files cache of its own for each directory of each instance (<c>BORG_FILES_CACHE_SUFFIX</c>): Borg ages every
    /// entry of the cache a create loads and forgets those unseen for 20 creates, so WAL batches or the other
    /// directories of the same base must not share it.
    /// </summary>
    private string FilesCacheSuffix(string part) => $"pgborg-base-{NameCodec.Encode(instance.Name)}-{part}";

    /// <summary>The extract hints of the data directory and each tablespace, their large files within one budget.</summary>
    internal static BaseMetadata WithHints(BaseMetadata metadata, BorgArchiveStats dataStats, List<LargeFile> dataLarge, IReadOnlyDictionary<uint, ExtractHints> tablespaceHints)
    {
        var tablespaces = metadata.Tablespaces;
        var kept = ExtractHints.WithinBudget([dataLarge, .. tablespaces.Select(t => tablespaceHints.GetValueOrDefault(t.Oid)?.Large ?? [])]);
        return metadata with
        {
            ExtractHints = new ExtractHints(dataStats.NFiles, dataStats.OriginalSize, kept[0]),
            Tablespaces = tablespaces.Select((t, i) => tablespaceHints.GetValueOrDefault(t.Oid) is { } h ? t with { ExtractHints = h with { Large = kept[i + 1] } } : t).ToList(),
        };
    }

    private BaseMetadata Metadata(ServerSettings server, string cycle, SessionReply start, SessionReply? stop, string method,
        IReadOnlyList<TablespaceLocation> tablespaces, bool complete)
    {
        var timeline = TimelineFromLabel(stop?.LabelFile) ?? server.Timeline;
        var stopLsn = stop?.Lsn ?? start.Lsn!;
        return new BaseMetadata(
            BaseMetadata.CurrentFormat, complete, host, instance.Name, cycle, instance.MajorVersion, server.ServerVersionNum,
            server.SystemIdentifier, timeline, server.WalSegmentSize,
            start.Lsn!, start.WalFile!, stopLsn, WalFileName.ForLsn(timeline, StopSegmentLsn(stopLsn), server.WalSegmentSize),
            start.Time ?? DateTimeOffset.UtcNow, stop?.Time ?? DateTimeOffset.UtcNow, method,
            stop?.LabelFile ?? "", stop?.TablespaceMap ?? "",
            tablespaces.Select(t => new TablespaceInfo(t.Oid, t.Path)).ToList(),
            StartSnapshot: start.Snapshot);
    }

    /// <summary>The stop LSN may sit exactly on a segment boundary; the last byte the backup needs is just before it.</summary>
    private static string StopSegmentLsn(string stopLsn)
    {
        var lsn = WalFileName.ParseLsn(stopLsn);
        return WalFileName.FormatLsn(lsn == 0 ? 0 : lsn - 1);
    }

    private static uint? TimelineFromLabel(string? label)
    {
        const string key = "START TIMELINE: ";
        var line = label?.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is not null && uint.TryParse(line[key.Length..].Trim(), out var tli) ? tli : null;
    }
}
