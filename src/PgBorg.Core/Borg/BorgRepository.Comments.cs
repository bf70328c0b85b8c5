namespace PgBorg.Borg;

public sealed partial class BorgRepository
{
    /// <summary>
    /// From how many archives a listing with comments reads the names first and then only the comments not cached
    /// (<see cref="ArchiveCommentCache"/>). Below it one listing with every comment is cheaper than two Borg calls:
    /// measured with Borg 1.2.4 (bench/scale), a comment costs 0.05–0.1 ms and a listing's fixed cost (start-up and
    /// the manifest) 0.6 s at 1k archives, 0.8 s at 10k and 2.5–3.9 s at 100k, which meet near 20k.
    /// <c>PGBORG_COMMENT_CACHE_FROM</c> sets another count (0: always; the tests use it).
    /// </summary>
    internal static readonly int CommentCacheFrom =
        int.TryParse(Environment.GetEnvironmentVariable("PGBORG_COMMENT_CACHE_FROM"), out var n) && n >= 0 ? n : 20_000;

    /// <summary>
    /// Archives others delete between our two listings move the oldest uncached one out of the newest K: this many
    /// more cover them (and otherwise the full listing does).
    /// </summary>
    private const int NewestMargin = 32;

    /// <summary>
    /// Every archive of <paramref name="glob"/> with its comment, from the cache where it has it: the names listing
    /// (the manifest), then one <c>borg list --last K</c> of the newest archives from the oldest uncached one on, which
    /// after a first listing are the archives created since. If that misses one (others changed the repository
    /// between the two calls), one full listing with every comment: what is returned is always one listing's view.
    /// </summary>
    private async Task<IReadOnlyList<BorgArchiveEntry>> ListWithCacheAsync(ArchiveCommentCache cache, string glob, bool considerCheckpoints,
        IReadOnlyList<BorgArchiveEntry>? listed, CancellationToken ct)
    {
        var names = listed ?? await ListOnceAsync(glob, considerCheckpoints, comments: false, last: null, ct).ConfigureAwait(false);
        if (!await ReadNewestAsync(cache, glob, considerCheckpoints, names, names, ct).ConfigureAwait(false))
        {
            var all = await ListOnceAsync(glob, considerCheckpoints, comments: true, last: null, ct).ConfigureAwait(false);
            cache.Add(all);
            cache.Save(all);
            return all;
        }
        cache.Save(names);
        return names.Select(cache.Fill).ToList();
    }

    /// <summary>
    /// <paramref name="names"/> (a names-only listing of <paramref name="glob"/> the caller made, with
    /// <paramref name="considerCheckpoints"/>) with the comments of those <paramref name="wanted"/>: from the cache,
    /// else from the newest archives as in <see cref="ListWithCacheAsync"/> when that reads no more archives than
    /// are wanted, else (or for what that missed) from <paramref name="readWanted"/>, which lists exactly them. An
    /// archive deleted since the caller's listing keeps no comment, as before the cache.
    /// </summary>
    public async Task<IReadOnlyList<BorgArchiveEntry>> WithCommentsAsync(string glob, bool considerCheckpoints, IReadOnlyList<BorgArchiveEntry> names,
        IEnumerable<BorgArchiveEntry> wanted, Func<CancellationToken, Task<IReadOnlyList<BorgArchiveEntry>>> readWanted, CancellationToken ct)
    {
        var cache = ArchiveCommentCache.Open(_stateDirectory, Location, glob);
        if (!await ReadNewestAsync(cache, glob, considerCheckpoints, names, [.. wanted], ct).ConfigureAwait(false))
        {
            cache.Add(await readWanted(ct).ConfigureAwait(false));
        }
        cache.Save(names);
        return names.Select(cache.Fill).ToList();
    }

    /// <summary>
    /// Reads into the cache the newest archives of <paramref name="names"/> back to the oldest of
    /// <paramref name="want"/> it lacks (one <c>borg list --last K</c>), unless that would read more archives than are
    /// wanted. True when the cache then holds every one of <paramref name="want"/>.
    /// </summary>
    private async Task<bool> ReadNewestAsync(ArchiveCommentCache cache, string glob, bool considerCheckpoints, IReadOnlyList<BorgArchiveEntry> names,
        IReadOnlyCollection<BorgArchiveEntry> want, CancellationToken ct)
    {
        if (NewestUncached(names, cache, want) is not { } k)
        {
            return true;
        }
        if (k > want.Count + NewestMargin)
        {
            return false;
        }
        cache.Add(await ListOnceAsync(glob, considerCheckpoints, comments: true, last: k + NewestMargin, ct).ConfigureAwait(false));
        return want.All(cache.Has);
    }

    /// <summary>
    /// How many of the newest archives reach back to the oldest of <paramref name="among"/> (default: all of
    /// <paramref name="names"/>) that the cache lacks; null when it lacks none. <c>--last K</c> takes the last K of
    /// the listing Borg sorts by time, stable over the manifest's order, the order <paramref name="names"/> came in:
    /// so no time needs comparing, and archives created in the same second are counted as Borg orders them.
    /// </summary>
    internal static int? NewestUncached(IReadOnlyList<BorgArchiveEntry> names, ArchiveCommentCache cache,
        IReadOnlyCollection<BorgArchiveEntry>? among = null)
    {
        var lacking = (among ?? names).Where(a => !cache.Has(a)).Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        if (lacking.Count == 0)
        {
            return null;
        }
        for (var i = 0; i < names.Count; i++)
        {
            if (lacking.Contains(names[i].Name))
            {
                return names.Count - i;
            }
        }
        return names.Count;
    }
}
