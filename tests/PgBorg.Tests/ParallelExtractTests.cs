using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Restore;
using Xunit;

namespace PgBorg.Tests;

public class ParallelExtractTests
{
    private static BorgItem File(string path, long size) => new(path, "-", size);

    [Fact]
    public void The_worker_that_walks_the_many_small_files_gets_no_big_one_if_the_others_can_take_them()
    {
        // the shape of a pgbench base: one 640 MiB table, one 107 MiB index, ~1300 small catalog files
        var items = new List<BorgItem> { File("base/16384/16397", 671_481_856), File("base/16384/16405", 112_336_896) };
        items.AddRange(Enumerable.Range(0, 1300).Select(i => File($"base/1/{i}", 24_000)));
        items.Add(new BorgItem("base", "d", 0));

        var (bytes, paths) = ParallelExtract.Split(items, 2);

        Assert.Empty(paths[0]);
        Assert.Equal(["base/16384/16397", "base/16384/16405"], paths[1]);
        Assert.InRange(bytes[1] / (double)bytes[0], 0.8, 1.25);
    }

    [Fact]
    public void Two_equal_huge_files_go_to_different_workers()
    {
        var items = new List<BorgItem> { File("base/5/1", 1L << 30), File("base/5/2", 1L << 30), File("PG_VERSION", 3) };

        var (_, paths) = ParallelExtract.Split(items, 2);

        Assert.Single(paths[0]);
        Assert.Single(paths[1]);
    }

    [Fact]
    public void Every_big_file_is_assigned_exactly_once_and_the_load_is_balanced()
    {
        var items = Enumerable.Range(1, 40).Select(i => File($"base/5/{i}", i * 10L << 20)).ToList();

        var (bytes, paths) = ParallelExtract.Split(items, 3);

        Assert.Equal(items.Select(i => i.Path).Order(), paths.SelectMany(p => p).Order());
        Assert.True(bytes.Max() - bytes.Min() <= 400L << 20, string.Join(", ", bytes));
    }

    [Fact]
    public void Small_files_stay_with_worker_zero()
    {
        var items = new List<BorgItem> { File("a", 1000), File("b", 1 << 20), new("pg_wal", "d", 0) };

        var (_, paths) = ParallelExtract.Split(items, 2);

        Assert.All(paths, p => Assert.Empty(p));
    }
}

public class ExtractHintsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgborg-hints-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Sparse(string relative, long size)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(size);
    }

    [Fact]
    public void The_large_files_are_those_the_base_archive_holds_largest_first()
    {
        Sparse("base/16384/16397", 40 << 20);
        Sparse("base/16384/16397.1", 17 << 20);
        Sparse("base/16384/16397_fsm", 1 << 20);
        Sparse("base/16384/16500", 30 << 20);       // unlogged: its _init fork is there, the archive leaves it out
        Sparse("base/16384/16500_init", 0);
        Sparse("base/16384/t3_16600", 50 << 20);    // temporary relation: left out too
        Sparse("global/1262", 20 << 20);
        Sparse("pg_wal/000000010000000000000001", 16 << 20);
        Sparse("base/pgsql_tmp/pgsql_tmp4711.0", 60 << 20); // spill file: the archive excludes it

        var large = ExtractHints.FindLarge(_root);

        Assert.Equal(["base/16384/16397", "global/1262", "base/16384/16397.1"], large.Select(f => f.Path));
        Assert.Equal(40L << 20, large[0].Size);
    }

    [Fact]
    public void Only_relation_files_of_database_directories_count_not_spill_files_the_archive_excludes()
    {
        Sparse("PG_15_202209061/pgsql_tmp/pgsql_tmp4711.1", 60 << 20);
        Sparse("PG_15_202209061/16384/16397", 20 << 20);
        Sparse("PG_15_202209061/16384/16397.2", 18 << 20);
        Sparse("PG_15_202209061/16384/stray copy", 70 << 20);

        Assert.Equal(["PG_15_202209061/16384/16397", "PG_15_202209061/16384/16397.2"], ExtractHints.FindLarge(_root).Select(f => f.Path));
    }

    [Fact]
    public void The_large_files_of_all_the_archives_of_a_base_share_one_budget()
    {
        static List<LargeFile> Files(string prefix, int count, long size) =>
            Enumerable.Range(0, count).Select(i => new LargeFile($"{prefix}/{i}", size + i)).ToList();
        var data = Files("base/1", 200, 100 << 20);
        var small = Files("PG_15/1", 200, 20 << 20);
        var big = Files("PG_15/2", 100, 1L << 30);

        var kept = ExtractHints.WithinBudget([data, small, big]);

        Assert.Equal(ExtractHints.MaxLarge, kept.Sum(k => k.Count));
        Assert.Equal(156, kept[0].Count);
        Assert.Empty(kept[1]);
        Assert.Equal(big, kept[2]);
        Assert.All(kept[0], f => Assert.True(f.Size >= (100 << 20) + 44));
    }

    [Fact]
    public void Hints_give_the_split_a_listing_would()
    {
        var hints = new ExtractHints(1302, 814_667_806, [new LargeFile("base/16384/16397", 671_481_856), new LargeFile("base/16384/16405", 112_336_896)]);

        var (_, paths) = ParallelExtract.Split(hints, 2);

        Assert.Empty(paths[0]);
        Assert.Equal(["base/16384/16397", "base/16384/16405"], paths[1]);
    }
}
