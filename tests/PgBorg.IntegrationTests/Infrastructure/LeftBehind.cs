namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// What an interrupted archiving run could leave behind, checked after a drill: a session (backup mode) on the server, a
/// backup label or tablespace map in the data directory, a checkpoint archive or lock in a repository, a snapshot next to
/// the data directory, a temporary file in a spool.
/// </summary>
public static class LeftBehind
{
    /// <param name="repositories">Local paths of the repositories to look into; default: the sandbox's archive and WAL repositories.</param>
    public static async Task AssertNothingAsync(Sandbox sandbox, PostgresCluster cluster, params string[] repositories)
    {
        if (repositories.Length == 0)
        {
            repositories = [sandbox.Repository, sandbox.WalRepository];
        }
        Assert.Equal("0", await cluster.SqlAsync("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgborg%'"));
        Assert.False(File.Exists(Path.Combine(cluster.DataDirectory, "backup_label")), "a backup_label is left in the data directory");
        Assert.False(File.Exists(Path.Combine(cluster.DataDirectory, "tablespace_map")), "a tablespace_map is left in the data directory");
        foreach (var repository in repositories.Where(r => File.Exists(Path.Combine(r, "config"))))
        {
            Assert.False(File.Exists(Path.Combine(repository, "lock.roster")) || Directory.Exists(Path.Combine(repository, "lock.exclusive")),
                $"a lock is left in {repository}");
            var list = await sandbox.BorgOnAsync(repository, ["list", "--consider-checkpoints", "--short"], aside: true);
            Assert.True(list.ExitCode == 0, list.ToString());
            Assert.DoesNotContain(".checkpoint", list.Stdout);
        }
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(cluster.DataDirectory)!, "*.pgborg-snapshot*"));
        foreach (var spool in Directory.GetDirectories(cluster.SpoolRoot))
        {
            Assert.Empty(Directory.GetFiles(spool, ".*tmp*"));
        }
    }
}
