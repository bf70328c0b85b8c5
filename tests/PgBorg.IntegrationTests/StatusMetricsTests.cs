using System.Diagnostics;
using System.Text.Json;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// The state files, <c>pgborg status</c> (never waits on a repository; exit code tells health) and the Prometheus
/// metrics the daemons write, checked with promtool.
/// </summary>
public sealed class StatusMetricsTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private string Textfiles => _sandbox.Sub("textfile");

    private string Config(string alerts = "") => _sandbox.ArchiveConfig(_cluster) + $"""

        [dump]
        repository = "{_sandbox.Sub("dump-repo")}"
        passphrase = "{Sandbox.Passphrase}"

        [metrics]
        textfile_directory = "{Textfiles}"

        [alerts]
        {alerts}
        """;

    private static async Task PromtoolAcceptsAsync(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), $"pgborg-{Guid.NewGuid():N}.prom");
        await File.WriteAllTextAsync(file, text);
        try
        {
            // promtool check metrics reads stdin only; a shell here is the test's, not pgborg's
            var r = await Run.ProgramAsync("/bin/sh", ["-c", "promtool check metrics < \"$0\"", file]);
            Assert.True(r.ExitCode == 0, $"promtool: {r}\n{text}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Status_answers_within_a_second_while_a_base_backup_holds_the_repository_lock()
    {
        Directory.CreateDirectory(Textfiles);
        _sandbox.WriteConfig(Config());
        Assert.Equal(0, (await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(3))).ExitCode);
        Assert.Equal(0, (await _sandbox.PgBorgAsync("pgdumpd", "--once")).ExitCode);

        // a Borg that freezes (SIGSTOP) inside the next base's create once it holds the repository's lock
        using var bin = new FakeBin(new Dictionary<string, string>());
        var marker = Path.Combine(bin.Path, "borg-stopped");
        var env = new Dictionary<string, string>
        {
            ["PGBORG_BORG"] = bin.Script("borg", $"""
                if [ "$1" = create ] && [[ "$*" == *"~base~"* ]]; then
                  /usr/bin/borg "$@" <&0 & pid=$!
                  until [ -d '{_sandbox.Repository}/lock.exclusive' ]; do sleep 0.1; done
                  kill -STOP $pid; echo $pid > '{marker}'; wait $pid; exit $?
                fi
                exec /usr/bin/borg "$@"
                """),
        };
        await using var daemon = new DaemonProcess(_sandbox, ["pgcad", "--new-cycle"], env);
        await daemon.WaitForAsync(_ => File.Exists(marker), TimeSpan.FromSeconds(120), "borg create of the base frozen");
        var locked = await _sandbox.BorgAsync("list", "--lock-wait", "0", _sandbox.Repository);
        Assert.NotEqual(0, locked.ExitCode);

        var watch = Stopwatch.StartNew();
        var r = await _sandbox.PgBorgAsync("status", "--json");
        watch.Stop();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"status took {watch.Elapsed}");
        var s = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.True(s.GetProperty("healthy").GetBoolean());
        var main = s.GetProperty("instances")[0];
        Assert.Equal("main", main.GetProperty("instance").GetString());
        Assert.Equal(1, main.GetProperty("archive").GetProperty("completeCycles").GetInt32());
        Assert.Equal("ok", main.GetProperty("archive").GetProperty("lastResult").GetString());
        Assert.Matches("^0000000100000000000000[0-9A-F]{2}$", main.GetProperty("archive").GetProperty("newestWal").GetString());
        Assert.Equal(0, main.GetProperty("postgres").GetProperty("failedCount").GetInt64());
        Assert.Contains(main.GetProperty("databases").EnumerateArray(), d => d.GetProperty("database").GetString() == "postgres"
            && d.GetProperty("lastResult").GetString() == "ok" && d.GetProperty("newestDumpSize").GetInt64() > 0);
        Assert.Matches("^[0-9]{8}T[0-9]{6}Z$", main.GetProperty("cycleStarting").GetString());
        var text = await _sandbox.PgBorgAsync("status");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("main (", text.Stdout);
        Assert.Contains("healthy", text.Stdout);
        Assert.Contains("base backup in progress", text.Stdout);
        TestContext.Current.TestOutputHelper?.WriteLine(text.Stdout);

        // both daemons' files, and pgborg metrics, are valid exposition format with the names the README lists
        var pgcad = await File.ReadAllTextAsync(Path.Combine(Textfiles, "pgborg-pgcad.prom"));
        var pgdumpd = await File.ReadAllTextAsync(Path.Combine(Textfiles, "pgborg-pgdumpd.prom"));
        await PromtoolAcceptsAsync(pgcad);
        await PromtoolAcceptsAsync(pgdumpd);
        var metrics = await _sandbox.PgBorgAsync("metrics");
        Assert.Equal(0, metrics.ExitCode);
        await PromtoolAcceptsAsync(metrics.Stdout);
        TestContext.Current.TestOutputHelper?.WriteLine(metrics.Stdout);
        foreach (var name in new[] { "pgborg_base_since_last_completion_seconds{instance=\"main\"}", "pgborg_wal_archive_lag_segments{instance=\"main\"}",
            "pgborg_cycles_kept{instance=\"main\"} 1", "pgborg_postgres_archiver_failed_total{instance=\"main\"} 0", "pgborg_up{daemon=\"pgcad\"} 1" })
        {
            Assert.Contains(name, pgcad);
        }
        Assert.Contains("pgborg_dump_size_bytes{instance=\"main\",database=\"postgres\"}", pgdumpd);
        Assert.Contains("pgborg_repository_archives{daemon=\"pgdumpd\",repository=", pgdumpd);
        Assert.Contains("pgborg_up{daemon=\"pgcad\"} 1", metrics.Stdout); // pgcad still runs (frozen in Borg)
        Assert.Contains("pgborg_up{daemon=\"pgdumpd\"} 0", metrics.Stdout);
        Assert.Empty(Directory.GetFiles(Textfiles, "*.tmp"));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(Textfiles, "pgborg-pgcad.prom"))); // node exporter's user reads it
        await Run.ProgramAsync("/bin/kill", ["-CONT", (await File.ReadAllTextAsync(marker)).Trim()]);
    }

    [Fact(Timeout = 300_000)]
    public async Task Status_exits_1_and_says_which_dump_is_late_and_the_metric_says_so_too()
    {
        _sandbox.WriteConfig(Config("max_dump_age = \"2s\""));
        Assert.Equal(0, (await _sandbox.PgBorgAsync("pgdumpd", "--once")).ExitCode);
        Assert.True(File.Exists(Path.Combine(_sandbox.StateDirectory, "status", "pgdumpd.json")));
        Assert.False(Directory.Exists(Textfiles)); // no node exporter here: nothing written, nothing created
        await Task.Delay(TimeSpan.FromSeconds(3));
        var r = await _sandbox.PgBorgAsync("status");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("problem:     dump of postgres late (max_dump_age 2s)", r.Stdout);
        var metrics = await _sandbox.PgBorgAsync("metrics");
        Assert.Contains("pgborg_dump_late{instance=\"main\",database=\"postgres\"} 1", metrics.Stdout);
        await PromtoolAcceptsAsync(metrics.Stdout);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_failing_archiving_round_is_kept_in_the_state_and_makes_status_exit_1()
    {
        _sandbox.WriteConfig(Config());
        await _cluster.StopAsync();
        Assert.Equal(1, (await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(2))).ExitCode);
        var r = await _sandbox.PgBorgAsync("status", "--json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var main = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("instances")[0];
        Assert.Equal("failed", main.GetProperty("archive").GetProperty("lastResult").GetString());
        Assert.Contains("cannot connect", main.GetProperty("archive").GetProperty("lastError").GetString());
        Assert.Contains(main.GetProperty("problems").EnumerateArray(), p => p.GetString()!.StartsWith("archiving failing (1x)", StringComparison.Ordinal));
        Assert.Equal(JsonValueKind.Null, main.GetProperty("postgres").ValueKind);
        Assert.NotNull(main.GetProperty("postgresError").GetString());
        var metrics = await _sandbox.PgBorgAsync("metrics");
        Assert.Contains("pgborg_archive_round_success{instance=\"main\"} 0", metrics.Stdout);
        await PromtoolAcceptsAsync(metrics.Stdout);
    }
}
