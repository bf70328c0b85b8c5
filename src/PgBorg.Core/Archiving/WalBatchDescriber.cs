using System.Text;
using PgBorg.Borg;
using PgBorg.Naming;
using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// The name and comment of a WAL archive, one way for ingest's batches and consolidation's archives: named after its
/// first and last file, the comment listing every file with its index entry. Borg takes the comment as one argument,
/// which Linux limits to 128 KiB, so an archive holds as many files as fit (about 400 indexed 16 MiB segments).
/// </summary>
public static class WalBatchDescriber
{
    /// <summary>The longest comment written, escaped for Borg, in bytes: below Linux's 128 KiB per argument, with room to spare.</summary>
    public const int CommentLimit = 112 * 1024;

    public sealed record Description(string Name, WalBatchMetadata Metadata);

    /// <summary>
    /// The archive of the longest prefix of <paramref name="entries"/> (at most <paramref name="max"/> files, at least
    /// one) whose comment fits <see cref="CommentLimit"/>. Deterministic, so a round after a crash names the same batch.
    /// </summary>
    public static Description Describe(string host, PgInstance instance, string cycle, IReadOnlyList<WalSegmentIndex> entries, int max)
    {
        var n = Math.Min(entries.Count, max);
        while (true)
        {
            var d = Of(host, instance, cycle, entries.Take(n).ToList());
            var length = Encoding.UTF8.GetByteCount(BorgRepository.EscapePlaceholders(d.Metadata.ToJson()));
            if (n == 1 || length <= CommentLimit)
            {
                return d;
            }
            n = Math.Max(1, (int)(n * (long)CommentLimit / length) - 1);
        }
    }

    private static Description Of(string host, PgInstance instance, string cycle, List<WalSegmentIndex> entries)
    {
        Stamp.TryParse(cycle, out var cycleTime);
        var files = entries.Select(e => e.File).ToList();
        var name = new ArchiveName(host, instance.Name, instance.MajorVersion, ArchiveName.WalKind, [files[0], files[^1]], cycleTime).ToString();
        var metadata = new WalBatchMetadata(WalBatchMetadata.CurrentFormat, host, instance.Name, cycle, files, entries.Sum(e => e.Size), DateTimeOffset.UtcNow,
            entries);
        return new Description(name, metadata);
    }
}
