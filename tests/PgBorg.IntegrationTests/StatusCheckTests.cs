using System.Text.Json;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary><c>pgborg check</c> (a forced WAL switch must reach Borg) and <c>pgborg status</c>.</summary>
public sealed class StatusCheckTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private string Config => _sandbox.ArchiveConfig(_cluster) + $"""

        [dump]
        repository = "{_sandbox.Sub("dump-repo")}"
        passphrase = "{Sandbox.Passphrase}"
        """;

    [Fact(Timeout = 300_000)]
    public async Task Check_proves_a_forced_WAL_switch_reaches_Borg_while_pgcad_runs()
    {
        _sandbox.WriteConfig(Config);
        await using var daemon = new DaemonProcess(_sandbox, ["pgcad"]);
        await daemon.WaitForAsync(d => d.Messages.Contains("READY=1"), TimeSpan.FromSeconds(120), "READY=1");
        Assert.Equal(0, (await _sandbox.PgBorgAsync("pgdumpd", "--once")).ExitCode);
        var r = await _sandbox.PgBorgAsync(["check"], null, timeout: TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("archived by PostgreSQL into the spool", r.Stdout);
        Assert.Contains("is in Borg", r.Stdout);
        Assert.DoesNotContain("FAIL", r.Stdout);
    }

    [Fact(Timeout = 300_000)]
    public async Task Check_fails_without_pgcad_and_says_why()
    {
        _sandbox.WriteConfig(Config);
        var r = await _sandbox.PgBorgAsync(["check"], null, timeout: TimeSpan.FromMinutes(2));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("FAIL  main: borg list failed on repository", r.Stdout);
        Assert.Contains("does not exist", r.Stdout);
    }

    [Fact(Timeout = 300_000)]
    public async Task Status_reports_cycles_WAL_spool_and_dumps()
    {
        _sandbox.WriteConfig(Config);
        Assert.Equal(0, (await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(3))).ExitCode);
        Assert.Equal(0, (await _sandbox.PgBorgAsync("pgdumpd", "--once")).ExitCode);
        var r = await _sandbox.PgBorgAsync("status", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var s = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("instances")[0];
        Assert.Equal("main", s.GetProperty("instance").GetString());
        Assert.Equal(1, s.GetProperty("archive").GetProperty("completeCycles").GetInt32());
        Assert.Equal(1, s.GetProperty("spool").GetProperty("active").GetInt32());
        Assert.Matches("^0000000100000000000000[0-9A-F]{2}", s.GetProperty("archive").GetProperty("newestWal").GetString());
        Assert.Contains(s.GetProperty("databases").EnumerateArray(), d => d.GetProperty("database").GetString() == "postgres");
        var text = await _sandbox.PgBorgAsync("status");
        Assert.Contains("1 complete; newest base", text.Stdout);
    }
}
