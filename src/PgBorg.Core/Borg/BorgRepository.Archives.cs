using System.Globalization;
using System.Text.Json;

namespace PgBorg.Borg;

public sealed partial class BorgRepository
{
    private bool _ensured;

    /// <summary>
    /// Makes sure the repository exists. A local path that does not exist yet (or is an empty directory) is
    /// initialised with repokey-blake2; an existing repository is never re-initialised; a non-empty directory
    /// that is not a repository is an error. A remote repository is initialised only when Borg says it does not exist.
    /// Neither is initialised where a repository was before (<see cref="OpenedBefore"/>).
    /// </summary>
    public async Task EnsureInitialisedAsync(CancellationToken ct)
    {
        if (_ensured)
        {
            return;
        }
        if (IsLocal)
        {
            var dir = _settings.Location;
            if (File.Exists(Path.Combine(dir, "config")))
            {
                _ensured = true;
                return;
            }
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            {
                throw new BorgException("init", dir, 2, "Repository.InvalidRepository", $"{dir} exists, is not empty and is not a Borg repository; refusing to initialise it");
            }
            if (OpenedBefore())
            {
                throw Vanished();
            }
            await InitAsync(ct).ConfigureAwait(false);
        }
        else
        {
            try
            {
                await RunAsync("info", Args("info"), ct).ConfigureAwait(false);
            }
            catch (BorgException e) when (e.MsgId == "Repository.DoesNotExist")
            {
                if (OpenedBefore())
                {
                    throw Vanished();
                }
                await InitAsync(ct).ConfigureAwait(false);
            }
        }
        _ensured = true;
    }

    private async Task InitAsync(CancellationToken ct)
    {
        if (_settings.Passphrase is null && _settings.PassCommand is null)
        {
            throw new BorgException("init", _settings.Location, 2, null,
                "refusing to create an unencrypted or passphrase-less repository: configure passphrase or passcommand");
        }
        Log.InitialisingRepository(_log, _settings.Location);
        var args = Args("init", locks: false);
        args.AddRange(["--encryption", "repokey-blake2", "--make-parent-dirs"]);
        await RunAsync("init", args, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Archives matching a glob, oldest first (each with its id), with their comments. Checkpoints only when asked for.
    /// A listing of <see cref="CommentCacheFrom"/> archives or more reads from Borg only the comments its cache lacks.
    /// </summary>
    /// <param name="comments">Without comments Borg answers from the manifest alone; with them it reads every archive's metadata.</param>
    /// <param name="cacheComments">False for a listing of a passing pattern (one cycle's archives), which would leave a
    /// cache file behind for each.</param>
    /// <param name="names">A names-only listing of <paramref name="glob"/> the caller already made (as
    /// <paramref name="considerCheckpoints"/> says): where the cache is used, it stands for the names Borg would list again.</param>
    public async Task<IReadOnlyList<BorgArchiveEntry>> ListAsync(string glob, CancellationToken ct, bool considerCheckpoints = false,
        bool comments = true, bool cacheComments = true, IReadOnlyList<BorgArchiveEntry>? names = null)
    {
        if (!comments || !cacheComments)
        {
            return await ListOnceAsync(glob, considerCheckpoints, comments, last: null, ct).ConfigureAwait(false);
        }
        var cache = ArchiveCommentCache.Open(_stateDirectory, Location, glob);
        if (cache.ArchivesLastSeen >= CommentCacheFrom)
        {
            return await ListWithCacheAsync(cache, glob, considerCheckpoints, names, ct).ConfigureAwait(false);
        }
        // a small listing: reading every comment costs less than the second Borg call the cache needs
        var all = await ListOnceAsync(glob, considerCheckpoints, comments: true, last: null, ct).ConfigureAwait(false);
        cache.Add(all);
        cache.Save(all);
        return all;
    }

    /// <summary>
    /// One <c>borg list</c>: names and ids (the manifest), with start times and comments if asked for, of the
    /// <paramref name="last"/> newest only if given. Without comments the listing is text, not JSON: at 100k archives
    /// Borg takes 2.5 s for it where its JSON takes 5.2 s (bench/scale's repository). Records end in NUL and the
    /// name comes last, so no character of a name can split one.
    /// </summary>
    private async Task<IReadOnlyList<BorgArchiveEntry>> ListOnceAsync(string glob, bool considerCheckpoints, bool comments, int? last,
        CancellationToken ct)
    {
        var args = Args("list");
        args.AddRange(comments ? ["--json", "--format", "{name}{start}{id}{comment}"] : ["--format", NamesFormat]);
        args.AddRange(["--glob-archives", glob]);
        if (considerCheckpoints)
        {
            args.Add("--consider-checkpoints");
        }
        if (last is { } n)
        {
            args.AddRange(["--last", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        var run = await RunAsync("list", args, ct).ConfigureAwait(false);
        if (!comments)
        {
            try
            {
                var names = ParseNames(run.Stdout);
                if (last is null)
                {
                    SawListing(names.Count);
                }
                return names;
            }
            catch (FormatException e)
            {
                throw new BorgException("list", Location, run.ExitCode, null, e.Message);
            }
        }
        var result = JsonSerializer.Deserialize(run.Stdout, BorgJsonContext.Default.BorgListResult)
            ?? throw new BorgException("list", Location, run.ExitCode, null, "no JSON on stdout");
        if (last is null)
        {
            SawListing(result.Archives.Count);
        }
        return result.Archives;
    }

    private const string NamesFormat = "{id}{TAB}{archive}{NUL}";

    internal static List<BorgArchiveEntry> ParseNames(string stdout)
    {
        var entries = new List<BorgArchiveEntry>();
        foreach (var record in stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.IsNullOrWhiteSpace(record))
            {
                continue;
            }
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0)
            {
                throw new FormatException($"borg list: unexpected record '{record}'");
            }
            entries.Add(new BorgArchiveEntry(record[(tab + 1)..], null, null, record[..tab]));
        }
        return entries;
    }

    /// <summary>
    /// The most archive names one <c>borg delete</c> gets: a cycle can hold tens of thousands of WAL batches, and
    /// all of them on one command line would pass the kernel's limit on arguments.
    /// </summary>
    public const int MaxNamesPerDelete = 1000;

    /// <summary>
    /// Deletes archives by exact name (a missing one is only a warning in Borg), at most
    /// <see cref="MaxNamesPerDelete"/> per Borg call. <paramref name="progress"/> is called while Borg works.
    /// </summary>
    public async Task DeleteAsync(IReadOnlyCollection<string> names, CancellationToken ct, Action? progress = null)
    {
        foreach (var batch in names.Chunk(MaxNamesPerDelete))
        {
            var args = Args("delete");
            if (progress is not null)
            {
                args.Add("--progress");
            }
            args.Add("::" + batch[0]);
            args.AddRange(batch.Skip(1));
            await RunAsync("delete", args, ct, progress: progress).ConfigureAwait(false);
        }
    }

    /// <summary>Frees the space of deleted archives; <paramref name="progress"/> is called per segment Borg goes through.</summary>
    public async Task CompactAsync(CancellationToken ct, Action? progress = null)
    {
        var args = Args("compact");
        if (progress is not null)
        {
            args.Add("--progress");
        }
        await RunAsync("compact", args, ct, progress: progress).ConfigureAwait(false);
    }

    /// <summary>
    /// True when the repository is append-only: deletions then free nothing, which we report instead of pretending.
    /// Read from the repository's config file where it can be (<see cref="RepositoryConfigFile"/>), else from <c>borg config</c>.
    /// </summary>
    public async Task<bool> IsAppendOnlyAsync(CancellationToken ct)
    {
        if (!IsLocal)
        {
            return false; // an append-only borg serve is not visible from the client; compact then frees nothing
        }
        if (RepositoryConfigFile.AppendOnly(Location) is { } appendOnly)
        {
            return appendOnly;
        }
        var args = Args("config", locks: false);
        args.Add(Location);
        args.Add("append_only");
        var run = await RunAsync("config", args, ct).ConfigureAwait(false);
        return run.Stdout.Trim() is "1" or "True" or "true";
    }

    /// <summary>
    /// Waits until some process holds the exclusive lock of this (local) repository — Borg 1.2 keeps the directory
    /// <c>lock.exclusive</c> while it does — or <paramref name="holder"/> finished, or <paramref name="timeout"/>
    /// passed. Remote repositories cannot be looked at: it returns at once.
    /// </summary>
    public async Task WaitUntilExclusivelyLockedAsync(Task holder, TimeSpan timeout, CancellationToken ct)
    {
        if (!IsLocal)
        {
            return;
        }
        var lockDirectory = Path.Combine(Location, "lock.exclusive");
        var deadline = DateTime.UtcNow + timeout;
        while (!holder.IsCompleted && !Directory.Exists(lockDirectory) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
        {
            await Task.WhenAny(holder, Task.Delay(5, ct)).ConfigureAwait(false);
        }
    }
}
