using System.IO.Enumeration;
using PgBorg.Borg;
using PgBorg.Naming;
using PgBorg.Snapshots;

namespace PgBorg.Archiving;

/// <summary>
/// The chunker of an instance's bases. Changing it loses all deduplication against the bases already stored (every
/// chunk boundary moves), so it is chosen once, when the repository gets the instance's first base, and then read
/// back from the newest base (Borg records each archive's command line): only <c>chunker_params</c> in the
/// configuration, the user's explicit request, overrides it.
/// </summary>
public static class BaseChunker
{
    /// <summary>The chunker for the next base, and why, for the log.</summary>
    public static async Task<(string Chunker, string Reason)> ChooseAsync(BorgRepository repo, string host, string instance, string dataDirectory,
        IReadOnlyList<TablespaceLocation> tablespaces, string? configured, CancellationToken ct)
    {
        if (configured is not null)
        {
            return (configured, "chunker_params in the configuration");
        }
        var glob = $"{NameCodec.Encode(host)}{ArchiveName.Separator}{NameCodec.Encode(instance)}{ArchiveName.Separator}*{ArchiveName.Separator}{ArchiveName.BaseKind}{ArchiveName.Separator}*";
        if (await repo.LastChunkerParamsAsync(glob, ct).ConfigureAwait(false) is { } remembered)
        {
            return (remembered, "as the instance's previous bases in this repository, so they deduplicate");
        }
        var size = DataSize(dataDirectory, tablespaces.Select(t => t.Path));
        var chunk = ChunkSizing.ChunkBytesFor(size);
        return (ChunkSizing.Fixed(chunk),
            $"first base in this repository: {ChunkSizing.Describe(size)} of data, Borg's chunk tables ~{ChunkSizing.Describe(ChunkSizing.MemoryInUse(size, chunk))} before their load factor");
    }

    /// <summary>What a base stores, about: every regular file of the data directory but pg_wal, and of each tablespace. Symlinks are not followed.</summary>
    internal static long DataSize(string dataDirectory, IEnumerable<string> tablespaceDirectories)
    {
        var wal = Path.Combine(dataDirectory, "pg_wal");
        long total = 0;
        foreach (var root in tablespaceDirectories.Prepend(dataDirectory))
        {
            var sizes = new FileSystemEnumerable<long>(root, (ref FileSystemEntry e) => e.Length,
                new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && (e.Attributes & FileAttributes.ReparsePoint) == 0,
                ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0 && e.ToFullPath() != wal,
            };
            try
            {
                total += sizes.Sum();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a tablespace that cannot be read here fails the snapshot with its own message; the size is only a hint
            }
        }
        return total;
    }
}
