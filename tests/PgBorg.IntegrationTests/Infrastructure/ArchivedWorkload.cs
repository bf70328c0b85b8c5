namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A cluster archived by pgcad into the sandbox repository: table <c>t</c> with 1,000 rows, a base, then
/// <paramref name="switches"/> times 1,000 more rows and a WAL switch, all of it ingested into Borg.
/// </summary>
public static class ArchivedWorkload
{
    /// <param name="config">The configuration to archive with (default: <see cref="Sandbox.ArchiveConfig"/>).</param>
    public static async Task CreateAsync(PostgresCluster cluster, Sandbox sandbox, int switches, string? config = null)
    {
        await cluster.SqlAsync("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
        sandbox.WriteConfig(config ?? sandbox.ArchiveConfig(cluster));
        Assert.Equal(0, (await sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(3))).ExitCode);
        var last = "";
        for (var i = 0; i < switches; i++)
        {
            await cluster.SqlAsync("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
            last = await cluster.SqlAsync("SELECT pg_walfile_name(pg_switch_wal())");
        }
        await cluster.WaitArchivedAsync(last);
        Assert.Equal(0, (await sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(3))).ExitCode);
    }
}
