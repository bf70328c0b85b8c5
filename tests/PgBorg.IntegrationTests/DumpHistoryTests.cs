using System.Globalization;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>Several rounds over time: choosing by --time in a non-UTC zone, and pruning per database.</summary>
public sealed class DumpHistoryTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private async Task RoundAsync()
    {
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    private async Task<string> ExtractValueAsync(params string[] extractArgs)
    {
        var target = "t_" + Guid.NewGuid().ToString("N")[..8];
        await _cluster.SqlAsync($"CREATE DATABASE {target}");
        var r = await _sandbox.PgBorgAsync(["pgdumprestore", "extract", .. extractArgs, "--", "pg_restore", "-d", target],
            new Dictionary<string, string> { ["TZ"] = "America/New_York" });
        Assert.True(r.ExitCode == 0, r.ToString());
        return await _cluster.SqlAsync("SELECT v FROM marker", target);
    }

    [Fact(Timeout = 180_000)]
    public async Task Time_selects_the_newest_dump_at_or_before_it_in_local_time_and_every_time_form_works()
    {
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        await _cluster.SqlAsync("CREATE DATABASE hist");
        await _cluster.SqlAsync("CREATE TABLE marker (v text); INSERT INTO marker VALUES ('one')", "hist");
        await RoundAsync();
        await Task.Delay(1100);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(1100);
        await _cluster.SqlAsync("UPDATE marker SET v = 'two'", "hist");
        await RoundAsync();

        var ny = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var local = TimeZoneInfo.ConvertTime(between, ny).DateTime;
        string F(string format) => local.ToString(format, CultureInfo.InvariantCulture);

        Assert.Equal("two", await ExtractValueAsync("hist"));
        Assert.Equal("one", await ExtractValueAsync("--time", F("yyyy-MM-dd HH:mm:ss"), "hist"));
        Assert.Equal("one", await ExtractValueAsync("--time", F("yyyy-MM-dd'T'HH:mm:ss"), "hist"));
        Assert.Equal("one", await ExtractValueAsync("--time", F("yyyyMMddHHmmss"), "hist"));
        Assert.Equal("one", await ExtractValueAsync("--time", between.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), "hist"));
        Assert.Equal("one", await ExtractValueAsync("--time", TimeZoneInfo.ConvertTime(between, ny).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture), "hist"));
        Assert.Equal("two", await ExtractValueAsync("--time", F("yyyy-MM-dd") + " 23:59:59", "hist"));

        var list = await _sandbox.PgBorgAsync("pgdumprestore", "list", "hist");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(2, list.Stdout.Split('\n').Count(l => l.Contains("~dump~hist~")));

        // the host's clock an hour back (libfaketime, as in ClockJumpTests): the next dump is still named, and taken, as the newest
        await _cluster.SqlAsync("UPDATE marker SET v = 'three'", "hist");
        var stepped = await _sandbox.PgBorgAsync(["pgdumpd", "--once"],
            FakeClock.Fixed("-1h"));
        Assert.True(stepped.ExitCode == 0, stepped.ToString());
        Assert.Equal("three", await ExtractValueAsync("hist"));
        list = await _sandbox.PgBorgAsync("pgdumprestore", "list", "hist");
        Assert.Equal(3, list.Stdout.Split('\n').Count(l => l.Contains("~dump~hist~")));
    }

    [Fact(Timeout = 180_000)]
    public async Task The_first_prune_of_a_process_compacts_deletions_made_before_a_restart()
    {
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        await _cluster.SqlAsync("CREATE DATABASE doomed");
        // 32 MB of random hex: more than 10 MB even compressed
        await _cluster.SqlAsync("CREATE TABLE t (v text); ALTER TABLE t ALTER v SET STORAGE EXTERNAL; "
            + "INSERT INTO t SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 1000000) g GROUP BY g % 64", "doomed");
        await RoundAsync();
        await _cluster.SqlAsync("DROP DATABASE doomed");
        // a prune deleted the dump, then the process died before borg compact
        var dump = Assert.Single(await _sandbox.ArchiveNamesAsync(), n => n.Contains("~dump~doomed~"));
        var deleted = await _sandbox.BorgAsync("delete", "::" + dump);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        var before = _sandbox.RepositoryBytes();
        await RoundAsync();
        var after = _sandbox.RepositoryBytes();
        Assert.True(before - after > 10L << 20, $"the repository went from {before} to {after} bytes");
    }

    [Fact(Timeout = 180_000)]
    public async Task Prune_applies_the_keep_rules_per_database()
    {
        // keep_within off and one hourly: of several dumps within the hour only the newest of each database stays
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster, extraDump: Sandbox.KeepNewestOfTheHour));
        await _cluster.SqlAsync("CREATE DATABASE pruned");
        await RoundAsync();
        await Task.Delay(1100);
        await RoundAsync();
        var names = await _sandbox.ArchiveNamesAsync();
        Assert.Single(names, n => n.Contains("~dump~pruned~"));
        Assert.Single(names, n => n.Contains("~dump~postgres~"));
        Assert.Single(names, n => n.Contains("~globals~"));
    }
}
