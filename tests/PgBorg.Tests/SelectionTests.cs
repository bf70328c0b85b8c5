using PgBorg.Dumps;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Tests;

public sealed class SelectionTests
{
    private static PgInstance Instance(string name) =>
        new(name, "/data/" + name, 5432, "/run", new OsUser("postgres", 101, 104, "/var/lib/postgresql"), "/bin", 15, "test");

    [Fact]
    public void One_instance_needs_no_name_several_do()
    {
        Assert.Equal("a", InstanceCatalog.Select([Instance("a")], null).Name);
        var e = Assert.Throws<SelectionException>(() => InstanceCatalog.Select([Instance("a"), Instance("b")], null));
        Assert.False(e.NotFound);
        Assert.Contains("a (/data/a, port 5432), b (/data/b, port 5432)", e.Message);
        var missing = Assert.Throws<SelectionException>(() => InstanceCatalog.Select([Instance("a")], "z"));
        Assert.True(missing.NotFound);
        Assert.Throws<SelectionException>(() => InstanceCatalog.Select([], null));
    }

    private static DumpEntry Dump(string? db, int minute)
    {
        var name = new ArchiveName("h", "main", 15, db is null ? ArchiveName.GlobalsKind : ArchiveName.DumpKind, db,
            new DateTimeOffset(2026, 11, 25, 12, minute, 0, TimeSpan.Zero));
        return new DumpEntry(name.ToString(), name, null);
    }

    [Fact]
    public void The_newest_dump_at_or_before_the_time_is_chosen()
    {
        var entries = new[] { Dump("a", 0), Dump("b", 5), Dump("a", 10), Dump(null, 10), Dump("a", 20) };
        Assert.Equal(20, DumpCatalog.Choose(entries, "main", "a", null).Name.Time.Minute);
        Assert.Equal(10, DumpCatalog.Choose(entries, "main", "a", new DateTimeOffset(2026, 11, 25, 12, 10, 0, TimeSpan.Zero)).Name.Time.Minute);
        Assert.Equal(10, DumpCatalog.Choose(entries, "main", "a", new DateTimeOffset(2026, 11, 25, 12, 19, 59, TimeSpan.Zero)).Name.Time.Minute);
        Assert.True(DumpCatalog.Choose(entries, "main", null, null).IsGlobals);
        var early = Assert.Throws<NotFoundException>(() => DumpCatalog.Choose(entries, "main", "a", new DateTimeOffset(2026, 11, 25, 11, 0, 0, TimeSpan.Zero)));
        Assert.Contains("the oldest is from 2026-11-25 12:00:00 UTC", early.Message);
        var unknown = Assert.Throws<NotFoundException>(() => DumpCatalog.Choose(entries, "main", "c", null));
        Assert.Contains("dumps exist of: 'a', 'b', --globals", unknown.Message);
    }
}
