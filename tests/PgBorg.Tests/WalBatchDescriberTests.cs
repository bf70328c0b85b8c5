using System.Text;
using PgBorg.Archiving;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Tests;

/// <summary>Borg takes a WAL archive's comment as one argument (at most 128 KiB on Linux): a batch holds the files whose index fits.</summary>
public sealed class WalBatchDescriberTests
{
    private static readonly PgInstance Instance = new("main", "/var/lib/postgresql/15/main", 5432, "/run/postgresql", new OsUser("postgres", 100, 100, "/var/lib/postgresql"),
        "/usr/lib/postgresql/15/bin", 15, "test");

    private static WalSegmentIndex Entry(int n)
    {
        var time = new DateTimeOffset(2026, 12, 6, 4, 0, 0, TimeSpan.Zero).AddSeconds(n).AddTicks(1234560);
        return new WalSegmentIndex($"00000001000000{n / 256:X2}000000{n % 256:X2}", 16 << 20, new string('a', 64), null,
            new WalCommit($"{n / 256:X}/{n % 256:X2}000028", time), new WalCommit($"{n / 256:X}/{n % 256:X2}FFFF28", time.AddSeconds(1)));
    }

    [Fact]
    public void A_full_batch_of_indexed_segments_is_cut_where_the_comment_would_outgrow_one_argument()
    {
        var entries = Enumerable.Range(1, WalIngest.MaxBatch).Select(Entry).ToList();
        var d = WalBatchDescriber.Describe("h", Instance, "20261206T040000Z", entries, WalIngest.MaxBatch);
        var n = d.Metadata.Files.Count;
        Assert.InRange(n, 300, WalIngest.MaxBatch - 1);
        Assert.Equal(entries.Take(n).Select(e => e.File), d.Metadata.Files);
        Assert.Equal(n * (16L << 20), d.Metadata.Bytes);
        Assert.Equal($"h~main~pg15~wal~{entries[0].File}~{entries[n - 1].File}~20261206T040000Z", d.Name);
        Assert.InRange(Encoding.UTF8.GetByteCount(d.Metadata.ToJson().Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal)),
            WalBatchDescriber.CommentLimit * 9 / 10, WalBatchDescriber.CommentLimit);
    }

    [Fact]
    public void A_batch_that_fits_keeps_every_file_and_its_index()
    {
        var entries = Enumerable.Range(1, 10).Select(Entry).ToList();
        var d = WalBatchDescriber.Describe("h", Instance, "20261206T040000Z", entries, WalIngest.MaxBatch);
        Assert.Equal(entries, d.Metadata.Segments);
        Assert.Equal(WalBatchMetadata.CurrentFormat, WalBatchMetadata.TryParse(d.Metadata.ToJson())!.Format);
        Assert.Equal(entries, WalBatchMetadata.TryParse(d.Metadata.ToJson())!.Segments);
    }
}
