using PgBorg.Archiving;
using PgBorg.Borg;

namespace PgBorg.Tests;

public sealed class CycleBookTests
{
    private const string Cycle = "20261206T060000Z";

    private static WalBatchMetadata Files(params string[] files) =>
        new(WalBatchMetadata.CurrentFormat, "h", "main", Cycle, [.. files], 1, DateTimeOffset.UnixEpoch);

    private static CycleBook Book(out string directory)
    {
        directory = Directory.CreateTempSubdirectory("pgborg-book-").FullName;
        var book = new CycleBook("h", "main", new CycleSizeStore(Path.Combine(directory, "sizes.json")));
        book.Load([new BorgArchiveEntry($"h~main~pg15~base~{Cycle}", null, null), new BorgArchiveEntry($"h~main~pg15~base~{Cycle}.checkpoint", null, null)], []);
        return book;
    }

    [Fact]
    public void Readers_get_copies_that_later_changes_do_not_touch()
    {
        var book = Book(out var dir);
        try
        {
            book.AddWal(Cycle, new WalBatch("w1", Files("000000010000000000000001")), 100);
            var before = book.Get(Cycle)!;
            book.AddWal(Cycle, new WalBatch("w2", Files("000000010000000000000002")), 100);
            Assert.Single(before.WalBatches);
            Assert.Equal(2, book.Get(Cycle)!.WalBatches.Count);
            Assert.Equal(200, book.Sizes(Cycle).WalCompressed);
            Assert.Equal((2, 2), book.ArchiveCounts);
            Assert.Equal([$"h~main~pg15~base~{Cycle}.checkpoint"], book.Checkpoints(walRepository: false));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Forgetting_archives_of_one_repository_leaves_the_same_names_of_the_other_alone()
    {
        var book = Book(out var dir);
        try
        {
            book.AddWal(Cycle, new WalBatch("w1", Files("000000010000000000000001")), 0);
            book.AddWal(Cycle, new WalBatch("legacy", Files("000000010000000000000002"), InWalRepository: false), 0);
            book.Forget(["legacy"], walRepository: true);
            Assert.Equal(2, book.Get(Cycle)!.WalBatches.Count);
            book.Forget(["w1", "legacy"], walRepository: true);
            Assert.Equal(["legacy"], book.Get(Cycle)!.WalBatches.Select(w => w.Archive));
            Assert.False(book.HasWalArchive("w1"));
            book.Remove(book.Get(Cycle)!);
            Assert.Empty(book.Cycles);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
