using PgBorg.Borg;
using PgBorg.Restore;
using Xunit;

namespace PgBorg.Tests;

public class ParallelExtractTests
{
    private static BorgItem File(string path, long size) => new(path, "-", size);

    [Fact]
    public void One_huge_relation_file_gets_a_worker_of_its_own()
    {
        // the shape of a pgbench base: one 640 MiB table, one 107 MiB index, ~1300 small catalog files
        var items = new List<BorgItem> { File("base/16384/16397", 671_481_856), File("base/16384/16405", 112_336_896) };
        items.AddRange(Enumerable.Range(0, 1300).Select(i => File($"base/1/{i}", 24_000)));
        items.Add(new BorgItem("base", "d", 0));

        var (bytes, paths) = ParallelExtract.Split(items, 2);

        Assert.Equal(["base/16384/16397"], paths[1]);
        Assert.Equal(["base/16384/16405"], paths[0]);
        Assert.True(bytes[0] < bytes[1]);
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
