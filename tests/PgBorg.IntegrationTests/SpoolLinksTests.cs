using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// The spool root and pg_wal are the service user's, and pgcad runs as root: whoever runs as postgres can put links
/// there. pgcad follows none of them to root's own files: a history file in pg_wal that is a link is not copied into
/// the new spool, and a spool (or its <c>.stored/</c>) that is a link is not archived, consolidated or emptied.
/// </summary>
public sealed class SpoolLinksTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private static async Task AsPostgresAsync(params string[] command)
    {
        var r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", .. command]);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact(Timeout = 600_000)]
    public async Task Links_planted_in_pg_wal_and_the_spool_lead_root_to_none_of_its_own_files()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        await _sandbox.PgcadOnceAsync();
        await _cluster.SwitchAndWaitArchivedAsync();

        // root's own: a secret, and a directory holding a file with a WAL segment's name
        var victims = _sandbox.Sub("root-only");
        Directory.CreateDirectory(victims, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var secret = Path.Combine(victims, "secret");
        await File.WriteAllTextAsync(secret, "root's own\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var victimDir = Directory.CreateDirectory(Path.Combine(victims, "dir")).FullName;
        var victimWal = Path.Combine(victimDir, "000000010000000000000099");
        await File.WriteAllTextAsync(victimWal, "keep me");

        await AsPostgresAsync("/bin/ln", "-s", secret, Path.Combine(_cluster.DataDirectory, "pg_wal", "00000063.history"));
        // an old spool that is a link, and a real one whose .stored is a link: both are retired with the new cycle
        await AsPostgresAsync("/bin/ln", "-s", victimDir, Path.Combine(_cluster.SpoolRoot, "20000101T000000Z"));
        var fake = Path.Combine(_cluster.SpoolRoot, "20000102T000000Z");
        await AsPostgresAsync("/bin/mkdir", fake);
        await AsPostgresAsync("/bin/ln", "-s", victimDir, Path.Combine(fake, ".stored"));

        var r = await _sandbox.PgcadOnceAsync("--new-cycle");
        Assert.Contains("does not get a history file", r.Stderr);
        await _cluster.SwitchAndWaitArchivedAsync();
        await _sandbox.PgcadOnceAsync();

        Assert.Equal("root's own\n", await File.ReadAllTextAsync(secret));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Equal("keep me", await File.ReadAllTextAsync(victimWal));
        Assert.Equal(["000000010000000000000099"], Directory.EnumerateFileSystemEntries(victimDir).Select(Path.GetFileName));
        // nothing in the spools is a copy of the secret
        foreach (var file in Directory.EnumerateFiles(_cluster.SpoolRoot, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            Assert.NotEqual("root's own\n", await File.ReadAllTextAsync(file));
        }
        // and no archive holds the victim's file
        var archives = await _sandbox.WalBorgAsync("list", "--short");
        Assert.True(archives.ExitCode == 0, archives.ToString());
        foreach (var archive in archives.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var items = await _sandbox.WalBorgAsync("list", "--short", "::" + archive);
            Assert.True(items.ExitCode == 0, items.ToString());
            Assert.DoesNotContain("000000010000000000000099", items.Stdout);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task A_tablespace_link_to_a_directory_that_is_no_tablespace_fails_the_base_and_nothing_of_it_is_archived()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        var victims = _sandbox.Sub("root-only");
        Directory.CreateDirectory(victims, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(Path.Combine(victims, "secret"), "root's own\n");
        await AsPostgresAsync("/bin/ln", "-s", victims, Path.Combine(_cluster.DataDirectory, "pg_tblspc", "99999"));

        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("pg_tblspc/99999", r.Stderr);
        Assert.Contains("refusing to archive it", r.Stderr);
        var archives = await _sandbox.BorgAsync("list", "--consider-checkpoints", "--short");
        Assert.True(archives.ExitCode == 0, archives.ToString());
        Assert.DoesNotContain("99999", archives.Stdout);
        Assert.DoesNotContain("base~", archives.Stdout);
    }
}
