using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Naming;

namespace PgBorg.Restore;

/// <summary>
/// Finds a WAL or history file among an instance's WAL archives without a restore's list of them: for a standby that
/// follows the archive and for a hand-written <c>restore_command</c>. A WAL archive's name carries the first and last
/// file of its batch (in the order PostgreSQL's names sort), so one listing of names — the manifest only, no archive
/// metadata — finds the archives that can hold the file; the file and the segments after it are extracted together,
/// so replay that catches up waits on one Borg process per batch, not per segment.
/// </summary>
public static class WalArchiveLookup
{
    /// <summary>
    /// True when <paramref name="name"/> is now in <paramref name="area"/>; false when no archive of any of
    /// <paramref name="repos"/> (looked at in that order; one that does not exist holds nothing) has it.
    /// </summary>
    public static async Task<bool> FetchAsync(IReadOnlyList<BorgRepository> repos, string host, string instance, string name, long? segmentSize, string area, CancellationToken ct)
    {
        foreach (var repo in repos)
        {
            try
            {
                if (await FetchAsync(repo, host, instance, name, segmentSize, area, ct).ConfigureAwait(false))
                {
                    return true;
                }
            }
            catch (BorgException e) when (e.MsgId == "Repository.DoesNotExist")
            {
                // a WAL repository not created yet, or an archive repository that never held WAL
            }
        }
        return false;
    }

    private static async Task<bool> FetchAsync(BorgRepository repo, string host, string instance, string name, long? segmentSize, string area, CancellationToken ct)
    {
        var glob = $"{NameCodec.Encode(host)}{ArchiveName.Separator}{NameCodec.Encode(instance)}{ArchiveName.Separator}*{ArchiveName.Separator}{ArchiveName.WalKind}{ArchiveName.Separator}*";
        var listed = await repo.ListAsync(glob, ct, comments: false).ConfigureAwait(false);
        var candidates = listed
            .Select(a => ArchiveName.TryParse(a.Name, out var parsed) ? (a.Name, Parsed: parsed) : (a.Name, Parsed: null))
            .Where(a => a.Parsed is { Kind: ArchiveName.WalKind, Fields.Count: 2 }
                && string.CompareOrdinal(a.Parsed.Fields[0], name) <= 0 && string.CompareOrdinal(name, a.Parsed.Fields[1]) <= 0)
            .Reverse() // the newest first: borg list answers oldest first
            .ToList();
        foreach (var (archive, parsed) in candidates)
        {
            var paths = new List<string> { name };
            paths.AddRange(Following(name, parsed!.Fields[1], segmentSize).Where(f => !File.Exists(Path.Combine(area, f))));
            await repo.ExtractAsync(archive, area, paths, ct).ConfigureAwait(false);
            if (File.Exists(Path.Combine(area, name)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Borg's message id for an archive that is not (any more) in the repository.</summary>
    private const string ArchiveGoneId = "Archive.DoesNotExist";

    /// <summary>
    /// Extracts <paramref name="files"/> of a WAL archive a restore listed into <paramref name="directory"/>; when pgcad
    /// consolidated that batch since, from the window's archive that holds them now. Returns the archive read.
    /// </summary>
    public static async Task<string> ExtractListedAsync(BorgRepository repo, string archive, string directory, IReadOnlyList<string> files, CancellationToken ct)
    {
        try
        {
            await repo.ExtractAsync(archive, directory, files, ct).ConfigureAwait(false);
            return archive;
        }
        catch (BorgException e) when (e.MsgId == ArchiveGoneId)
        {
            var replacement = await ReplacementAsync(repo, archive, files, ct).ConfigureAwait(false);
            if (replacement is null)
            {
                throw;
            }
            await repo.ExtractAsync(replacement, directory, files, ct).ConfigureAwait(false);
            return replacement;
        }
    }

    /// <summary>
    /// Another WAL archive of the same cycle whose name range spans all of <paramref name="files"/>: where a batch's
    /// files are once a consolidation replaced it (after a restore listed the batch). The caller checks that every
    /// file came out of it. Only names are read (the manifest).
    /// </summary>
    public static async Task<string?> ReplacementAsync(BorgRepository repo, string gone, IReadOnlyList<string> files, CancellationToken ct)
    {
        if (files.Count == 0 || !ArchiveName.TryParse(gone, out var batch))
        {
            return null;
        }
        var sep = ArchiveName.Separator;
        var glob = $"{ArchiveName.InstanceGlob(batch.Host, batch.Instance)}{sep}{ArchiveName.WalKind}{sep}*{sep}{batch.Cycle}";
        var listed = await repo.ListAsync(glob, ct, comments: false).ConfigureAwait(false);
        var first = files.Min(StringComparer.Ordinal)!;
        var last = files.Max(StringComparer.Ordinal)!;
        return listed.Select(a => a.Name)
            .Where(n => n != gone && ArchiveName.TryParse(n, out var a) && a is { Kind: ArchiveName.WalKind, Fields.Count: 2 } && a.Cycle == batch.Cycle
                && string.CompareOrdinal(a.Fields[0], first) <= 0 && string.CompareOrdinal(last, a.Fields[1]) <= 0)
            .LastOrDefault();
    }

    /// <summary>The segments after <paramref name="name"/> on its timeline up to <paramref name="last"/>: what replay asks for next.</summary>
    internal static IEnumerable<string> Following(string name, string last, long? segmentSize)
    {
        if (WalFileName.Classify(name) != WalFileKind.Segment || segmentSize is not { } size)
        {
            yield break;
        }
        var timeline = WalFileName.Timeline(name);
        var segment = WalFileName.SegmentNumber(name, size);
        for (var i = 1; i < WalFetch.PrefetchCount; i++)
        {
            var next = WalFileName.Of(timeline, segment + (ulong)i, size);
            if (string.CompareOrdinal(next, last) > 0)
            {
                yield break;
            }
            yield return next;
        }
    }

    /// <summary>The segment size of the cluster in a data directory, from a whole segment in its pg_wal, or null.</summary>
    public static long? SegmentSizeIn(string dataDirectory)
    {
        var wal = Path.Combine(dataDirectory, "pg_wal");
        if (!Directory.Exists(wal))
        {
            return null;
        }
        return new DirectoryInfo(wal).EnumerateFiles()
            .Where(f => WalFileName.Classify(f.Name) == WalFileKind.Segment && f.Length >= 1 << 20 && (f.Length & (f.Length - 1)) == 0)
            .Select(f => (long?)f.Length)
            .FirstOrDefault();
    }
}
