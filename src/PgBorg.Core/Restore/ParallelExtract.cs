using PgBorg.Archiving;
using PgBorg.Borg;

namespace PgBorg.Restore;

/// <summary>
/// Extracts one archive with several Borg processes at once (extract takes a shared lock): the regular files are
/// split by size over the workers; worker 0 extracts everything else (directories, links, small files) and excludes
/// what the others take. Borg decrypts and decompresses on one core per process, so this is what uses the others.
/// </summary>
public static class ParallelExtract
{
    /// <summary>
    /// Borg processes extracting at once: one per core (Borg decrypts and decompresses on one), 2 to 4;
    /// <c>PGBORG_EXTRACT_WORKERS</c> (1 to 16, in pgcarestore's environment) sets another number.
    /// </summary>
    public static int Workers =>
        int.TryParse(Environment.GetEnvironmentVariable("PGBORG_EXTRACT_WORKERS"), out var n) && n is > 0 and <= 16 ? n
        : Math.Max(2, Math.Min(4, Environment.ProcessorCount));

    /// <summary>
    /// What one more item costs a Borg process beyond its bytes, expressed as bytes: creating the file, its owner, mode,
    /// times and xattrs, matching it against the patterns. Measured (bench/restore): ~1,300 catalog files took one
    /// worker as long as ~600 MB of relation data.
    /// </summary>
    internal const long PerItemCost = 512 * 1024;

    /// <summary>
    /// Splits the regular files over <paramref name="workers"/> buckets, largest first into the lightest bucket.
    /// Bucket 0 starts with everything it extracts anyway (all the small items), so one very large relation file
    /// goes to a worker of its own instead of being added to the worker that also walks the thousands of small ones.
    /// </summary>
    internal static (long[] Bytes, List<string>[] Paths) Split(IReadOnlyList<BorgItem> items, int workers)
    {
        static bool Big(BorgItem i) => i.Type == "-" && i.Size > 1 << 20;
        return Split(items.Where(Big).ToList(), items.Where(i => !Big(i)).Sum(i => i.Size + PerItemCost), workers);
    }

    /// <summary>The same from a base's <see cref="ExtractHints"/>: its large files, and the rest as counts.</summary>
    internal static (long[] Bytes, List<string>[] Paths) Split(ExtractHints hints, int workers)
    {
        var large = hints.Large.Select(f => new BorgItem(f.Path, "-", f.Size)).ToList();
        var rest = Math.Max(0, hints.Bytes - large.Sum(f => f.Size)) + (Math.Max(0, hints.Items - large.Count) * PerItemCost);
        return Split(large, rest, workers);
    }

    private static (long[] Bytes, List<string>[] Paths) Split(List<BorgItem> big, long restWeight, int workers)
    {
        var bytes = new long[workers];
        var paths = Enumerable.Range(0, workers).Select(_ => new List<string>()).ToArray();
        bytes[0] = restWeight;
        foreach (var item in big.OrderByDescending(i => i.Size).ThenBy(i => i.Path, StringComparer.Ordinal))
        {
            var lightest = Array.IndexOf(bytes, bytes.Min());
            bytes[lightest] += item.Size + PerItemCost;
            paths[lightest].Add(item.Path);
        }
        return (bytes, paths);
    }

    /// <param name="hints">Stored with the base at backup time: the split without listing the archive's items first.</param>
    /// <param name="transfer">Gets every worker's bytes (each worker is its own Borg operation).</param>
    /// <param name="isolatedAt">See <see cref="BorgRepository.ExtractAsync"/>.</param>
    public static async Task RunAsync(BorgRepository repo, string archive, string directory, int workers, CancellationToken ct, ExtractHints? hints = null,
        IProgress<BorgTransfer>? transfer = null, string? isolatedAt = null)
    {
        if (workers <= 1)
        {
            await repo.ExtractAsync(archive, directory, [], ct, transfer: transfer, isolatedAt: isolatedAt).ConfigureAwait(false);
            return;
        }
        var (_, buckets) = hints is not null
            ? Split(hints, workers)
            : Split(await repo.ListItemsAsync(archive, ct).ConfigureAwait(false), workers);
        var others = buckets.Skip(1).SelectMany(b => b).ToList();
        var excludes = Path.Combine(directory, $".pgborg-excludes-{Guid.NewGuid():N}");
        await File.WriteAllLinesAsync(excludes, others.Select(p => "pp:" + p).Append("pp:" + Path.GetFileName(excludes)), ct).ConfigureAwait(false);
        try
        {
            var tasks = new List<Task> { repo.ExtractAsync(archive, directory, [], ct, excludeFrom: excludes, transfer: transfer, isolatedAt: isolatedAt) };
            tasks.AddRange(buckets.Skip(1).Where(b => b.Count > 0)
                .Select(b => repo.ExtractAsync(archive, directory, b, ct, transfer: transfer, isolatedAt: isolatedAt)));
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(excludes);
        }
    }
}
