namespace PgBorg.Borg;

public sealed partial class BorgRepository
{
    /// <summary>
    /// From how many archives a listing with comments reads the names first and then only the comments not cached
    /// (<see cref="ArchiveCommentCache"/>). Below it one listing with every comment is cheaper than two Borg calls:
    /// measured with Borg 1.2.4 (bench/scale), a comment costs 0.05–0.07 ms and a listing's fixed cost (start-up and
    /// the manifest) 0.6 s at 1k archives, 0.8 s at 10k and 3.9 s at 100k, which meet near 20k.
    /// <c>PGBORG_COMMENT_CACHE_FROM</c> sets another count (0: always; the tests use it).
    /// </summary>
    internal static readonly int CommentCacheFrom =
        int.TryParse(Environment.GetEnvironmentVariable("PGBORG_COMMENT_CACHE_FROM"), out var n) && n >= 0 ? n : 20_000;

    /// <summary>Archives created by others between our two listings push the oldest uncached one out of the newest K: this many more cover them.</summary>
    private const int NewestMargin = 32;

    /// <summary>
    /// The entries of <paramref name="names"/> (a names-only listing of <paramref name="glob"/>, taken with the same
    /// <paramref name="considerCheckpoints"/>), with the comments of those <paramref name="wanted"/>. Comments come
    /// from the cache; those it lacks, usually the archives created since it was written, from one <c>borg list
    /// --last K</c> of the newest archives from the oldest uncached one on, when K is at most the number wanted;
    /// otherwise, or if that missed one, from <paramref name="readWanted"/>. The cache is saved for the archives
    /// listed.
    /// </summary>
    public async Task<IReadOnlyList<BorgArchiveEntry>> WithCommentsAsync(string glob, bool considerCheckpoints, IReadOnlyList<BorgArchiveEntry> names,
        IEnumerable<BorgArchiveEntry> wanted, Func<CancellationToken, Task<IReadOnlyList<BorgArchiveEntry>>> readWanted, CancellationToken ct) =>
        await WithCommentsAsync(ArchiveCommentCache.Open(_stateDirectory, Location, glob), glob, considerCheckpoints, names, wanted, readWanted, ct)
            .ConfigureAwait(false);

    private async Task<IReadOnlyList<BorgArchiveEntry>> WithCommentsAsync(ArchiveCommentCache cache, string glob, bool considerCheckpoints,
        IReadOnlyList<BorgArchiveEntry> names, IEnumerable<BorgArchiveEntry> wanted, Func<CancellationToken, Task<IReadOnlyList<BorgArchiveEntry>>> readWanted,
        CancellationToken ct)
    {
        var want = wanted.ToList();
        var missing = want.Where(a => !cache.Has(a)).ToList();
        if (missing.Count > 0)
        {
            var newest = NewestFrom(names, missing);
            if (newest is { } k && k <= want.Count + NewestMargin)
            {
                cache.Add(await ListOnceAsync(glob, considerCheckpoints, comments: true, last: k + NewestMargin, ct).ConfigureAwait(false));
            }
            if (missing.Any(a => !cache.Has(a)))
            {
                cache.Add(await readWanted(ct).ConfigureAwait(false));
            }
            cache.Save(names);
        }
        return names.Select(cache.Fill).ToList();
    }

    /// <summary>
    /// How many archives of the listing are at least as new as the oldest of <paramref name="missing"/>: Borg's
    /// <c>--last</c> takes that many from the listing sorted by time, the order <paramref name="names"/> has (Borg
    /// gives the times to the microsecond in one fixed format, so they compare as text). Null without times.
    /// </summary>
    internal static int? NewestFrom(IReadOnlyList<BorgArchiveEntry> names, IReadOnlyList<BorgArchiveEntry> missing)
    {
        if (missing.Any(a => a.Start is null))
        {
            return null;
        }
        var oldest = missing.Select(a => a.Start!).Min(StringComparer.Ordinal)!;
        return names.Count(a => a.Start is not null && string.CompareOrdinal(a.Start, oldest) >= 0);
    }
}
