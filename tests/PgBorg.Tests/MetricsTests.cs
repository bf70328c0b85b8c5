using PgBorg.Configuration;
using PgBorg.Metrics;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.State;

namespace PgBorg.Tests;

public sealed class MetricsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-unit-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private PgBorgConfig Config(string extra = "")
    {
        var path = Path.Combine(_dir, "pgborg.toml");
        File.WriteAllText(path, $"""
            [archive]
            repository = "/r/a"
            ingest_interval = "10s"
            cycle_max_age = "7d"
            [dump]
            repository = "/r/d"
            interval = "1d"
            {extra}
            """);
        return PgBorgConfig.Load(path);
    }

    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Alert_defaults_follow_the_intervals_and_archive_timeout()
    {
        var alerts = Config().AlertsFor("main");
        Assert.Equal(TimeSpan.FromDays(8), alerts.MaxBaseAge);
        Assert.Equal(TimeSpan.FromDays(2), alerts.MaxDumpAge);
        Assert.Equal(TimeSpan.FromSeconds(2 * 60 + 10 + 300), alerts.WalAge(60));
        Assert.Equal(TimeSpan.FromMinutes(3), Config("[alerts]\nmax_wal_age = \"3m\"").AlertsFor("main").WalAge(60));
        Assert.Equal(TimeSpan.FromDays(3), Config("[instances.main.alerts]\nmax_dump_age = \"3d\"").AlertsFor("main").MaxDumpAge);
    }

    [Fact]
    public void Metrics_directory_defaults_to_Debians_node_exporter_and_an_empty_string_turns_it_off()
    {
        Assert.Equal("/var/lib/prometheus/node-exporter", Config().MetricsDirectory);
        Assert.Null(Config("[metrics]\ntextfile_directory = \"\"").MetricsDirectory);
    }

    [Fact]
    public void Both_daemons_metrics_merge_into_one_family_per_name_with_escaped_labels()
    {
        var pgcad = DaemonState.Empty("pgcad") with
        {
            WrittenAt = Now,
            Instances = [new InstanceState("main", Now, 1.5, InstanceState.Ok, null, Now, 0, 2,
                new BaseState("20261201T000000Z", Now.AddDays(-5), Now.AddDays(-5).AddMinutes(2), "direct", 1000, 500),
                "000000010000000000000010", Now.AddMinutes(-1), Now, Now.AddDays(-12),
                new ArchiverStats(16, "000000010000000000000010", Now, 3, null, null, "000000010000000000000013", 16 << 20, 60))],
            Repositories = [new RepositoryState("/r/a", 42)],
        };
        var pgdumpd = DaemonState.Empty("pgdumpd") with
        {
            WrittenAt = Now,
            Instances = [new InstanceState("main", Now, 3, InstanceState.Ok, null, Now, 0)],
            Databases = [new DatabaseState("main", "we\"ird\\db", InstanceState.Ok, null, Now, Now.AddDays(-3), 100, 1)],
        };
        // one segment waiting in the spool (a copy in each of two spools counts once)
        var data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        foreach (var cycle in new[] { "20261201T000000Z", "20261206T000000Z" })
        {
            var spool = Directory.CreateDirectory(Path.Combine(data + ".pgborg-spool", cycle)).FullName;
            using var segment = File.Create(Path.Combine(spool, "000000010000000000000011"));
            segment.SetLength(16 << 20);
        }
        var main = new PgInstance("main", data, 5432, "/run/postgresql", OsUser.Current, "/usr/lib/postgresql/15/bin", 15, "test");
        var text = new MetricsReport(Config(), Now).AddDaemon(pgcad, true).AddArchive(pgcad, [main])
            .AddDaemon(pgdumpd, false).AddDumps(pgdumpd, ["main"]).Render();
        Assert.Single(text.Split('\n'), l => l == "# TYPE pgborg_up gauge");
        Assert.Contains("pgborg_up{daemon=\"pgcad\"} 1\n", text);
        Assert.Contains("pgborg_up{daemon=\"pgdumpd\"} 0\n", text);
        Assert.Contains("pgborg_wal_archive_lag_segments{instance=\"main\"} 2\n", text);
        Assert.Contains("pgborg_base_since_last_completion_seconds{instance=\"main\"} 431880\n", text);
        Assert.Contains("pgborg_base_late{instance=\"main\"} 0\n", text);
        Assert.Contains("pgborg_postgres_archiver_failed_total{instance=\"main\"} 3\n", text);
        Assert.Contains("pgborg_dump_late{instance=\"main\",database=\"we\\\"ird\\\\db\"} 1\n", text);
        Assert.Contains("pgborg_spool_files{instance=\"main\"} 1\n", text);
        Assert.Contains("pgborg_spool_bytes{instance=\"main\"} 16777216\n", text);
    }
}
