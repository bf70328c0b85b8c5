using System.Text.Json.Nodes;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// wal-fetch beyond a one-off restore: a standby made with <c>pgcarestore restore --standby</c> keeps replaying what
/// the primary archives after the restore, across a new cycle, until it is promoted; and a hand-written
/// restore_command finds the instance's files in Borg from the configuration alone.
/// </summary>
public sealed class StandbyTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();
    private readonly TempDir _target = new("pgborg-standby");
    private string Data => Path.Combine(_target.Path, "data");

    /// <summary>
    /// pgcad runs as the service user (direct snapshots), so the repository is that user's: a standby's wal-fetch,
    /// also that user, shares Borg's locks with pgcad while both run. (A repository of root's can be shared only
    /// through borg serve.)
    /// </summary>
    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await _cluster.SqlAsync("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        await PgcadAsync();
        await ArchiveMoreAsync();
        await ArchiveMoreAsync();
    }

    private async Task PgcadAsync(params string[] extra)
    {
        // what root did meanwhile (the restore, the test's own borg list) left Borg state files of root's
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", _sandbox.Root);
        var r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", "/usr/bin/env", $"PGBORG_CONFIG={_sandbox.ConfigPath}",
            PgBorgBinary.Path, "pgcad", "--once", .. extra], timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await WalExtractors.KillUnderAsync(_target.Path);
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
        _target.Dispose();
    }

    private async Task ArchiveMoreAsync(params string[] pgcad)
    {
        await _cluster.SqlAsync("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
        await _cluster.SwitchAndWaitArchivedAsync();
        await PgcadAsync(pgcad);
    }

    /// <summary>Two switches, then one ingest: a WAL archive of (at least) two segments. Returns them.</summary>
    private async Task<(string First, string Second)> ArchiveTwoSegmentsAsync()
    {
        await _cluster.SqlAsync("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
        var first = await _cluster.SwitchAndWaitArchivedAsync();
        await _cluster.SqlAsync("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
        var second = await _cluster.SwitchAndWaitArchivedAsync();
        await PgcadAsync();
        return (first, second);
    }

    private static async Task WaitRowsAsync(RestoredServer server, string rows)
    {
        var seen = "";
        for (var i = 0; i < 900 && seen != rows; i++)
        {
            try
            {
                seen = await server.SqlAsync("SELECT count(*) FROM t");
            }
            catch (InvalidOperationException e)
            {
                Assert.Fail($"the standby went away: {e.Message}\n{await File.ReadAllTextAsync(server.Log)}");
            }
            await Task.Delay(100);
        }
        Assert.True(seen == rows, $"the standby shows {seen} rows, not {rows}:\n{await File.ReadAllTextAsync(server.Log)}");
    }

    [Fact(Timeout = 600_000)]
    public async Task A_standby_restored_from_the_archive_replays_what_the_primary_archives_afterwards_until_promoted()
    {
        var refused = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--standby", "--lsn", "0/3000000", "--target-dir", Data], null);
        Assert.Equal(2, refused.ExitCode);

        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--standby", "--target-dir", Data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(Data, "standby.signal")));
        Assert.False(File.Exists(Path.Combine(Data, "recovery.signal")));
        Assert.DoesNotContain("recovery_target_action", await File.ReadAllTextAsync(Path.Combine(Data, "postgresql.auto.conf")));

        await using var standby = await RestoredServer.StartAsync(Data, 47001 + Environment.ProcessId % 400);
        await WaitRowsAsync(standby, "3000");
        Assert.Equal("t", await standby.SqlAsync("SELECT pg_is_in_recovery()"));

        // archived after the restore: in the same cycle, then in a new one
        await ArchiveMoreAsync();
        await WaitRowsAsync(standby, "4000");
        await ArchiveMoreAsync("--new-cycle");
        await ArchiveMoreAsync();
        await WaitRowsAsync(standby, "6000");
        Assert.Equal("t", await standby.SqlAsync("SELECT pg_is_in_recovery()"));

        await Run.AsPostgresAsync($"{PostgresCluster.Bin}/pg_ctl", "-D", Data, "-w", "promote");
        await standby.WaitPromotedAsync();
        Assert.Equal("6000", await standby.SqlAsync("SELECT count(*) FROM t"));
        Assert.False(Directory.Exists(Path.Combine(Data, "pgborg_restore")));
        Assert.False(File.Exists(Path.Combine(Data + ".pgborg-restore", "credentials.json")));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_hand_written_restore_command_finds_the_files_in_Borg_from_the_configuration()
    {
        var segments = (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles).Where(f => f.Length == 24).Order().ToList();
        // the first segment of a batch is asked for, the next ones come along
        var (first, second) = await ArchiveTwoSegmentsAsync();
        var history = Path.Combine(_target.Path, "fetched");
        // as in any data directory, a segment in pg_wal tells wal-fetch the cluster's segment size
        Directory.CreateDirectory(Path.Combine(Data, "pg_wal"));
        var anySegment = Directory.GetFiles(Path.Combine(_cluster.DataDirectory, "pg_wal")).First(f => Path.GetFileName(f).Length == 24);
        File.Copy(anySegment, Path.Combine(Data, "pg_wal", Path.GetFileName(anySegment)));
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", _target.Path);

        Task<RunResult> FetchAsync(string name, string config) => Run.ProgramAsync("/usr/sbin/runuser",
            ["-u", "postgres", "--", PgBorgBinary.Path, "--config", config, "--instance", "main", "wal-fetch", name, history], workingDirectory: Data);

        var r = await FetchAsync(first, _sandbox.ConfigPath);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(16 << 20, new FileInfo(history).Length);
        Assert.True(File.Exists(Path.Combine(Data, "pgborg_restore", second)), $"{second} did not come along with {first}");
        // not archived (yet): 1, so a standby asks again later
        var future = segments[^1][..16] + "000000FF";
        Assert.Equal(1, (await FetchAsync(future, _sandbox.ConfigPath)).ExitCode);
        Assert.Equal(1, (await FetchAsync("00000007.history", _sandbox.ConfigPath)).ExitCode);

        // a real error is fatal, never "not found"
        var wrong = Path.Combine(_target.Path, "wrong.toml");
        await File.WriteAllTextAsync(wrong, (await File.ReadAllTextAsync(_sandbox.ConfigPath)).Replace(Sandbox.Passphrase, "not the passphrase"));
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", wrong);
        File.SetUnixFileMode(wrong, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.Delete(Path.Combine(Data, "pgborg_restore"), recursive: true);
        var fatal = await FetchAsync(first, wrong);
        Assert.True(fatal.ExitCode > 125, fatal.ToString());
        Assert.Contains("wrong passphrase", fatal.Stderr);
        var typo = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "--no-such-option", "wal-fetch", first, history], workingDirectory: Data);
        Assert.True(typo.ExitCode > 125, typo.ToString());
    }
}
