using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Borg;

public sealed record BorgItem(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("size")] long Size);

[JsonSerializable(typeof(BorgItem))]
internal sealed partial class BorgItemJsonContext : JsonSerializerContext;

public sealed partial class BorgRepository
{
    /// <summary>
    /// <c>borg create</c> of files and directories, run in <paramref name="workingDirectory"/> so the archive holds
    /// the relative paths given (e.g. "." for a whole directory, or WAL file names).
    /// </summary>
    /// <param name="tolerateWarning">Which of Borg's warnings still leave a complete archive (none by default): a
    /// warning is how Borg 1.2 reports a file it could not read and left out, with exit code 1. Any other warning makes
    /// this throw <see cref="BorgArchiveIncompleteException"/>; the archive was committed and the caller removes it.</param>
    /// <param name="transfer">Gets the bytes Borg has read so far (a progress display).</param>
    /// <param name="lateFile">A file stored after the paths, whose content is produced once Borg has read them.</param>
    /// <param name="filesCacheMode">With <paramref name="filesCache"/>: Borg's <c>--files-cache</c> mode (Borg's default ctime,size,inode if null).</param>
    /// <param name="filesCacheSuffix">With <paramref name="filesCache"/>: <c>BORG_FILES_CACHE_SUFFIX</c>, a files cache of
    /// its own. Each create ages every entry of the cache it loads and forgets those unseen for BORG_FILES_CACHE_TTL
    /// (20) creates; creates of other paths sharing the file would age them out.</param>
    public async Task<BorgCreateResult> CreateFromPathsAsync(string archive, string workingDirectory, IReadOnlyList<string> paths,
        string comment, CancellationToken ct, IReadOnlyList<string>? excludes = null, string? chunkerParams = null, bool filesCache = true, Action? progress = null,
        Func<string, bool>? tolerateWarning = null, string? filesCacheMode = null, string? filesCacheSuffix = null, IProgress<BorgTransfer>? transfer = null,
        BorgLateFile? lateFile = null)
    {
        var args = Args("create");
        var statistics = Volatile.Read(ref _archivesSeen) < StatisticsUpTo;
        if (statistics)
        {
            args.Add("--json");
        }
        args.AddRange(["--compression", _settings.Compression, "--comment", EscapePlaceholders(comment)]);
        if (progress is not null || transfer is not null)
        {
            args.Add("--progress");
        }
        if (!filesCache)
        {
            args.AddRange(["--files-cache", "disabled"]);
        }
        else if (filesCacheMode is not null)
        {
            args.AddRange(["--files-cache", filesCacheMode]);
        }
        if ((chunkerParams ?? _settings.ChunkerParams) is { } chunker)
        {
            args.AddRange(["--chunker-params", chunker]);
        }
        // the excludes grow with the database (one per unlogged relation): through a file, never the command line
        using var excludeFile = excludes is { Count: > 0 } ? PatternFile.Write(_stateDirectory, excludes) : null;
        if (excludeFile is not null)
        {
            args.AddRange(["--exclude-from", excludeFile.Path]);
        }
        if (lateFile is not null)
        {
            args.AddRange(["--list", "--filter", "i", "--stdin-name", lateFile.Name, "--stdin-user", lateFile.Owner, "--stdin-group", lateFile.Owner,
                "--stdin-mode", "0600"]);
        }
        args.Add("::" + archive);
        args.Add("--");
        args.AddRange(paths);
        if (lateFile is not null)
        {
            args.Add("-");
        }
        var environment = filesCache && filesCacheSuffix is not null ? new Dictionary<string, string> { ["BORG_FILES_CACHE_SUFFIX"] = filesCacheSuffix } : null;
        var run = await RunAsync("create", args, ct, workingDirectory, progress, environment: environment, transfer: transfer, lateFile: lateFile)
            .ConfigureAwait(false);
        Interlocked.Increment(ref _archivesSeen);
        if (run.ExitCode == 1)
        {
            var serious = run.Warnings.Where(w => tolerateWarning?.Invoke(w) != true).ToList();
            if (serious.Count > 0 || run.Warnings.Count == 0)
            {
                throw new BorgArchiveIncompleteException(archive, Location,
                    serious.Count > 0 ? string.Join("; ", serious) : "exit code 1 (a warning) without saying which");
            }
        }
        if (statistics)
        {
            return JsonSerializer.Deserialize(run.Stdout, BorgJsonContext.Default.BorgCreateResult)
                ?? throw new BorgException("create", Location, run.ExitCode, null, "no JSON statistics on stdout");
        }
        try
        {
            return new BorgCreateResult(new BorgCreatedArchive(archive, await ItemTotalsAsync(archive, ct).ConfigureAwait(false)));
        }
        catch (BorgException e)
        {
            // committed, but its file count cannot be checked: as untrusted as one short of a file
            throw BorgArchiveIncompleteException.Unchecked(archive, Location, e);
        }
    }

    /// <summary>
    /// Up to how many archives in the repository a create asks Borg for its statistics (<c>--json</c>). Borg 1.2
    /// computes them for the whole repository as well, reading every archive's metadata (<c>Cache.stats</c>): a create
    /// of one WAL segment took 8.7 s at 100k archives with them and 1.3 s without (bench/scale), and the gap grows with
    /// every archive. Beyond this count the archive's own sizes come from a listing of its items instead, a second
    /// Borg call that costs about what the create's own start does (0.4 s at 1k archives, so not below it). The count is
    /// the largest listing this process made of the repository, plus its creates since: one glob's archives are a lower
    /// bound, which only errs towards the statistics. <c>PGBORG_CREATE_STATISTICS_UP_TO</c> sets another count (0:
    /// never; the tests use it).
    /// </summary>
    internal static readonly int StatisticsUpTo =
        int.TryParse(Environment.GetEnvironmentVariable("PGBORG_CREATE_STATISTICS_UP_TO"), out var n) && n >= 0 ? n : 5_000;

    /// <summary>The largest listing of this repository this process made, plus its creates since (<see cref="StatisticsUpTo"/>).</summary>
    private int _archivesSeen;

    /// <summary>Raises the count to <paramref name="archives"/> (the WAL loop and a restore's listings may run at once).</summary>
    private void SawListing(int archives)
    {
        for (var seen = Volatile.Read(ref _archivesSeen); archives > seen;)
        {
            var was = Interlocked.CompareExchange(ref _archivesSeen, archives, seen);
            if (was == seen)
            {
                return;
            }
            seen = was;
        }
    }

    /// <summary>
    /// An archive's sizes and regular-file count from its regular files' items (their chunks, with their sizes as
    /// stored): what Borg's statistics say of the archive itself, less its metadata chunks and without the deduplicated
    /// size, which needs Borg's cache. Only regular files count: Borg gives a symbolic link the length of its target
    /// as {size} and {csize}, and counts no link, FIFO or directory among its files.
    /// </summary>
    private async Task<BorgArchiveStats> ItemTotalsAsync(string archive, CancellationToken ct)
    {
        var args = Args("list");
        args.AddRange(["--format", "{type}{TAB}{size}{TAB}{csize}{NUL}", "::" + archive]);
        var run = await RunAsync("list", args, ct).ConfigureAwait(false);
        try
        {
            return ParseItemTotals(run.Stdout);
        }
        catch (FormatException e)
        {
            throw new BorgException("list", Location, run.ExitCode, null, e.Message);
        }
    }

    internal static BorgArchiveStats ParseItemTotals(string stdout)
    {
        long size = 0, compressed = 0, files = 0;
        foreach (var record in stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.IsNullOrWhiteSpace(record))
            {
                continue; // what Borg may print after the last record
            }
            var fields = record.Split('\t');
            if (fields.Length != 3 || !long.TryParse(fields[1], CultureInfo.InvariantCulture, out var s) || !long.TryParse(fields[2], CultureInfo.InvariantCulture, out var c))
            {
                throw new FormatException($"an item line Borg's listing should not give: {record}");
            }
            if (fields[0] == "-")
            {
                size += s;
                compressed += c;
                files++;
            }
        }
        return new BorgArchiveStats(size, compressed, null, files);
    }

    /// <summary>
    /// Warnings of a base read from the live data directory that PostgreSQL's WAL replay makes good: a file written
    /// while Borg read it, or one deleted meanwhile (a dropped or truncated relation; pg_basebackup skips those too).
    /// </summary>
    public static bool IsLiveDirectoryChange(string warning) =>
        warning.EndsWith(": file changed while we backed it up", StringComparison.Ordinal)
        || warning.Contains("[Errno 2] No such file or directory", StringComparison.Ordinal);

    /// <summary>
    /// Replaces an archive's comment. Only metadata changes, but Borg may first replay the repository's segments
    /// (a missing index), which takes long on a big repository: <paramref name="progress"/> is called while it works.
    /// </summary>
    public async Task SetCommentAsync(string archive, string comment, CancellationToken ct, Action? progress = null)
    {
        var args = Args("recreate");
        if (progress is not null)
        {
            args.Add("--progress");
        }
        args.AddRange(["--comment", EscapePlaceholders(comment), "::" + archive]);
        await RunAsync("recreate", args, ct, progress: progress).ConfigureAwait(false);
    }

    /// <summary>The regular files in an archive with their sizes.</summary>
    public async Task<IReadOnlyList<BorgItem>> ListItemsAsync(string archive, CancellationToken ct)
    {
        var args = Args("list");
        args.AddRange(["--json-lines", "::" + archive]);
        var run = await RunAsync("list", args, ct).ConfigureAwait(false);
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize(l, BorgItemJsonContext.Default.BorgItem))
            .OfType<BorgItem>()
            .ToList();
    }

    /// <summary>Whether <paramref name="user"/> can open the repository and list an archive (wal-fetch runs as that user).</summary>
    /// <param name="bypassLock">No lock files: the probe can run beside our own Borg processes (whose lock files
    /// the user could not join); whether the user could create lock files is then the caller's to check.</param>
    public async Task<bool> CanListAsUserAsync(string? archive, Processes.OsUser user, CancellationToken ct, bool bypassLock = false)
    {
        var args = Args("list", locks: !bypassLock);
        if (bypassLock)
        {
            args.Add("--bypass-lock");
        }
        args.AddRange(["--short", archive is null ? "::" : "::" + archive]);
        try
        {
            await RunAsync("list", args, ct, runAs: user).ConfigureAwait(false);
            return true;
        }
        catch (BorgException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads every chunk of an archive back and checks it (<c>borg extract --dry-run</c>: decrypted, authenticated,
    /// sizes compared, nothing written) under a shared lock, so ingest and bases go on; <c>check --verify-data</c>
    /// would lock the repository exclusively for as long.
    /// </summary>
    public async Task ReadBackAsync(string archive, CancellationToken ct)
    {
        var args = Args("extract");
        args.AddRange(["--dry-run", "::" + archive]);
        await RunAsync("extract", args, ct).ConfigureAwait(false);
    }

    /// <summary>Extracts (parts of) an archive into <paramref name="directory"/>.</summary>
    /// <param name="transfer">Gets the bytes extracted so far and Borg's total. Borg then first reads the metadata of
    /// every item to add up their sizes, so only an operator waiting for it asks for this.</param>
    /// <param name="isolatedAt">Borg works in <paramref name="directory"/> bind-mounted here, in a mount namespace of its
    /// own (<see cref="Processes.ProcessSpec.IsolatedAt"/>): for a directory whose name another user can change.</param>
    public async Task ExtractAsync(string archive, string directory, IReadOnlyList<string> paths, CancellationToken ct, bool sparse = false, string? excludeFrom = null,
        IProgress<BorgTransfer>? transfer = null, string? isolatedAt = null)
    {
        var args = Args("extract");
        if (transfer is not null)
        {
            args.Add("--progress");
        }
        if (sparse)
        {
            args.Add("--sparse");
        }
        if (excludeFrom is not null)
        {
            args.AddRange(["--exclude-from", excludeFrom]);
        }
        args.Add("::" + archive);
        args.AddRange(paths);
        await RunAsync("extract", args, ct, directory, transfer: transfer, isolatedAt: isolatedAt).ConfigureAwait(false);
    }
}
