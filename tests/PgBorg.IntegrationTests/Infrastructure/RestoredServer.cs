namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A server started on a restored data directory, on its own port and socket (the original may still run), with
/// archiving off so the copy never archives anywhere. Stopped on dispose.
/// </summary>
public sealed class RestoredServer : IAsyncDisposable
{
    private readonly TempDir _run = new("pgborg-restored-run");

    public RestoredServer(string dataDirectory, int port, string serverBin = PostgresCluster.Bin)
    {
        DataDirectory = dataDirectory;
        Port = port;
        ServerBin = serverBin;
    }

    /// <summary>The restored cluster's own version's pg_ctl and postgres.</summary>
    public string ServerBin { get; }

    public string DataDirectory { get; }
    public int Port { get; }
    public string Log => _run.Sub("server.log");
    public string SocketDirectory => _run.Path;

    /// <summary>Rows of a table <c>t (id, v)</c> in order, hashed: what a restore must give back exactly.</summary>
    public const string TableChecksum = "SELECT count(*) || ' ' || md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM t";

    /// <summary>
    /// Restores the latest state of <paramref name="cluster"/>'s backups (of <paramref name="instance"/> when the
    /// configuration has several), starts it, waits until it is promoted, and requires <paramref name="checksum"/> to
    /// give there what it gives on the source now.
    /// </summary>
    public static async Task AssertLatestMatchesAsync(Sandbox sandbox, PostgresCluster cluster, string checksum, string database = "postgres",
        string? instance = null)
    {
        var expected = await cluster.SqlAsync(checksum, database);
        using var dir = new TempDir("pgborg-restore");
        var data = System.IO.Path.Combine(dir.Path, "data");
        string[] args = instance is null ? ["pgcarestore", "restore", "--target-dir", data] : ["pgcarestore", "--instance", instance, "restore", "--target-dir", data];
        var r = await sandbox.PgBorgAsync(args, null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());
        await using var server = await StartAsync(data, PostgresCluster.NextFreePort());
        await server.WaitPromotedAsync();
        Assert.Equal(expected, await server.SqlAsync(checksum, database));
    }

    public static async Task<RestoredServer> StartAsync(string dataDirectory, int port, bool archive = false, string serverBin = PostgresCluster.Bin)
    {
        var s = new RestoredServer(dataDirectory, port, serverBin);
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", s._run.Path);
        var options = $"-c port={port} -c unix_socket_directories='{s._run.Path}' -c listen_addresses=''" + (archive ? "" : " -c archive_mode=off");
        var r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", $"{serverBin}/pg_ctl", "-D", dataDirectory, "-l", s.Log, "-o", options, "-w", "-t", "120", "start"]);
        if (r.ExitCode != 0)
        {
            var log = File.Exists(s.Log) ? await File.ReadAllTextAsync(s.Log) : "";
            await s.DisposeAsync();
            throw new InvalidOperationException($"the restored server did not start: {r}\n{log}");
        }
        return s;
    }

    public async Task<string> SqlAsync(string sql, string database = "postgres") =>
        (await Run.AsPostgresAsync($"{PostgresCluster.Bin}/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", _run.Path, "-p", Port.ToString(), "-d", database, "-c", sql)).TrimEnd('\n');

    /// <summary>Waits until recovery has ended (promoted); fails with the server log otherwise.</summary>
    public async Task WaitPromotedAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            if (await SqlAsync("SELECT pg_is_in_recovery()") == "f")
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("still in recovery after 60 s:\n" + await File.ReadAllTextAsync(Log));
    }

    public Task<RunResult> AmcheckAsync() =>
        Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", $"{PostgresCluster.Bin}/pg_amcheck", "-h", _run.Path, "-p", Port.ToString(), "--all", "--install-missing", "--heapallindexed"]);

    public async ValueTask DisposeAsync()
    {
        await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", $"{ServerBin}/pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        _run.Dispose();
    }
}
