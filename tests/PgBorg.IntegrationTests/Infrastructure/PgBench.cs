namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// pgbench on a cluster: a "bench" database initialised at scale 1, and rate-limited runs in the background (one
/// client, a few transactions a second: load the tests' two shared cores cope with).
/// </summary>
public static class PgBench
{
    public const string Database = "bench";

    /// <summary>The accounts' count and balance sum and the history's count: what a restore must give back exactly.</summary>
    public const string Checksum = "SELECT (SELECT count(*) || ':' || sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM pgbench_history)";

    public static async Task InitAsync(PostgresCluster cluster)
    {
        await cluster.SqlAsync($"CREATE DATABASE {Database}");
        await Run.AsPostgresAsync($"{PostgresCluster.Bin}/pgbench", "-i", "-s", "1", "-q", "-h", cluster.SocketDirectory, "-p", cluster.Port.ToString(), Database);
    }

    /// <summary>Starts pgbench for <paramref name="duration"/> at <paramref name="rate"/> transactions a second; await it for its result.</summary>
    public static Task<RunResult> StartAsync(PostgresCluster cluster, TimeSpan duration, int rate = 20) =>
        Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", $"{PostgresCluster.Bin}/pgbench",
            "-T", ((int)duration.TotalSeconds).ToString(), "-R", rate.ToString(), "-c", "1",
            "-h", cluster.SocketDirectory, "-p", cluster.Port.ToString(), Database], timeout: duration + TimeSpan.FromMinutes(3));

    /// <summary>Runs pgbench for <paramref name="duration"/> and requires it to succeed.</summary>
    public static async Task RunAsync(PostgresCluster cluster, TimeSpan duration, int rate = 20)
    {
        var r = await StartAsync(cluster, duration, rate);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("pgbench failed: " + r);
        }
    }
}
