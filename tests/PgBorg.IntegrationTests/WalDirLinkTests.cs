using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// A cluster made with <c>initdb --waldir</c> has pg_wal as a link to another directory, and the base stores the
/// link. A restored copy must not write into the original's WAL directory: a restore beside the original
/// (<c>verify --restore</c>, a test restore) would otherwise overwrite the live cluster's WAL.
/// </summary>
public sealed class WalDirLinkTests : IAsyncLifetime
{
    private readonly TempDir _walDir = new("pgborg-waldir");
    private readonly Sandbox _sandbox = new();
    private readonly TempDir _target = new("pgborg-waldir-restore");
    private PostgresCluster _cluster = null!;

    private string WalDirectory => _walDir.Sub("wal");

    public async ValueTask InitializeAsync()
    {
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", _walDir.Path);
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf, null, "--waldir=" + WalDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
        _target.Dispose();
        _walDir.Dispose();
    }

    [Fact(Timeout = 600_000)]
    public async Task A_pg_wal_link_is_restored_as_a_directory_and_a_verified_copy_writes_nothing_into_the_original_WAL()
    {
        Assert.NotNull(new FileInfo(Path.Combine(_cluster.DataDirectory, "pg_wal")).LinkTarget);
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        var first = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(first.ExitCode == 0, first.ToString());
        await _cluster.SqlAsync("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id");
        await _cluster.SwitchAndWaitArchivedAsync();
        var second = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(second.ExitCode == 0, second.ToString());

        // the copy a verification starts promotes to timeline 2: none of that may land in the original's WAL
        var verified = await _sandbox.PgBorgAsync(["verify", "--restore", "--scratch-dir", _target.Sub("scratch")], null, timeout: TimeSpan.FromMinutes(5));
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.DoesNotContain(Directory.EnumerateFiles(WalDirectory), f => Path.GetFileName(f).StartsWith("00000002", StringComparison.Ordinal));

        var data = Path.Combine(_target.Path, "data");
        var restored = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Contains($"pg_wal was a link to {WalDirectory}", restored.Stdout);
        var pgWal = new DirectoryInfo(Path.Combine(data, "pg_wal"));
        Assert.Null(pgWal.LinkTarget);
        Assert.True(pgWal.Exists);
        Assert.True(Directory.Exists(Path.Combine(pgWal.FullName, "archive_status")));
        await WalExtractors.KillUnderAsync(_target.Path);
    }
}
