using PgBorg.Borg;

namespace PgBorg.Restore;

/// <summary>
/// Extracts one archive with several Borg processes at once (extract takes a shared lock): the regular files are
/// split by size over the workers; worker 0 extracts everything else (directories, links, small files) and excludes
/// what the others take. Borg decrypts and decompresses on one core per process, so this is what uses the others.
/// </summary>
public static class ParallelExtract
{
    public static async Task RunAsync(BorgRepository repo, string archive, string directory, int workers, CancellationToken ct)
    {
        if (workers <= 1)
        {
            await repo.ExtractAsync(archive, directory, [], ct, sparse: true).ConfigureAwait(false);
            return;
        }
        var items = await repo.ListItemsAsync(archive, ct).ConfigureAwait(false);
        var buckets = Enumerable.Range(0, workers).Select(_ => (Bytes: 0L, Paths: new List<string>())).ToArray();
        foreach (var item in items.Where(i => i.Type == "-" && i.Size > 1 << 20).OrderByDescending(i => i.Size))
        {
            var smallest = Array.IndexOf(buckets, buckets.MinBy(b => b.Bytes));
            buckets[smallest] = (buckets[smallest].Bytes + item.Size, buckets[smallest].Paths);
            buckets[smallest].Paths.Add(item.Path);
        }
        var others = buckets.Skip(1).SelectMany(b => b.Paths).ToList();
        var excludes = Path.Combine(directory, $".pgborg-excludes-{Guid.NewGuid():N}");
        await File.WriteAllLinesAsync(excludes, others.Select(p => "pp:" + p).Append("pp:" + Path.GetFileName(excludes)), ct).ConfigureAwait(false);
        try
        {
            var tasks = new List<Task> { repo.ExtractAsync(archive, directory, [], ct, sparse: true, excludeFrom: excludes) };
            tasks.AddRange(buckets.Skip(1).Where(b => b.Paths.Count > 0).Select(b => repo.ExtractAsync(archive, directory, b.Paths, ct, sparse: true)));
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(excludes);
        }
    }
}
