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

public sealed class DumpPrunerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<DateTimeOffset> Deleted(IEnumerable<DateTimeOffset> times, DumpPruner.Rules rules) =>
        DumpPruner.ToDelete(times.ToList(), t => t, rules, Now).OrderBy(t => t).ToList();

    [Fact]
    public void Within_the_window_everything_is_kept()
    {
        var times = Enumerable.Range(0, 10).Select(i => Now.AddMinutes(-5 * i));
        Assert.Empty(Deleted(times, new(TimeSpan.FromHours(1), 0, 0, 0, 0, 0)));
    }

    [Fact]
    public void One_per_hour_newest_first()
    {
        var times = new[] { Now.AddMinutes(-10), Now.AddMinutes(-20), Now.AddMinutes(-70), Now.AddMinutes(-80) };
        Assert.Equal([Now.AddMinutes(-80), Now.AddMinutes(-20)], Deleted(times, new(TimeSpan.Zero, 2, 0, 0, 0, 0)));
    }

    [Fact]
    public void Daily_rules_do_not_count_what_hourly_kept_and_the_oldest_is_kept_when_a_rule_runs_short()
    {
        // hourly keeps today's 11:xx; daily (3) then keeps yesterday and the day before; only 2 days left, so also the oldest
        var times = new[] { Now.AddMinutes(-30), Now.AddHours(-24), Now.AddHours(-25), Now.AddHours(-48) };
        var deleted = Deleted(times, new(TimeSpan.Zero, 1, 3, 0, 0, 0));
        Assert.Equal([Now.AddHours(-25)], deleted);
    }

    [Fact]
    public void The_earlier_tool_defaults_keep_a_year_of_dailies_thinned_to_weeklies_and_monthlies()
    {
        var times = Enumerable.Range(0, 400).Select(d => Now.AddDays(-d)).ToList();
        var kept = times.Except(Deleted(times, new(TimeSpan.FromDays(1), 24, 7, 52, 12, 30))).ToList();
        Assert.Contains(Now, kept);
        // 1 within + 24 hourly + 7 daily + 52 weekly + the months and years not already kept
        Assert.True(kept.Count is > 84 and < 110, $"{kept.Count} kept");
        Assert.Contains(times[^1], kept); // the yearly rule runs short: the oldest stays
    }

    [Fact]
    public void No_rule_keeps_everything() =>
        Assert.Empty(Deleted([Now, Now.AddDays(-100)], new(TimeSpan.Zero, 0, 0, 0, 0, 0)));
}
