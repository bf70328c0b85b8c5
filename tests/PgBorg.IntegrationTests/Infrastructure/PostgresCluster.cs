using System.Net.Sockets;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A real PostgreSQL cluster (Debian's 15 unless started with <see cref="StartVersionAsync"/>): initdb as the
/// postgres OS user in a temporary directory, its own port and socket directory, no TCP listener. Stopped and
/// removed on dispose, also after a failed test. psql is always Debian's 15, which talks to every version.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Debian 12's PostgreSQL 15: the default server, and the client tools (psql) for every version.</summary>
    public const string Bin = "/usr/lib/postgresql/15/bin";
    private static int _nextPort = 20000 + (Environment.ProcessId % 2000) * 10;
    private readonly TempDir _dir = new("pgborg-pg");
    private bool _running;

    private readonly string? _dataDirectory;

    private PostgresCluster(int port, string? dataDirectory, string serverBin)
    {
        Port = port;
        _dataDirectory = dataDirectory;
        ServerBin = serverBin;
    }

    public int Port { get; }

    /// <summary>Where this cluster's initdb, pg_ctl and postgres are.</summary>
    public string ServerBin { get; }
    public string DataDirectory => _dataDirectory ?? _dir.Sub("data");
    public string SocketDirectory => _dir.Sub("run");
    public string Root => _dir.Path;

    /// <summary>Where wal-push spools WAL: one directory per cycle next to the data directory.</summary>
    public string SpoolRoot => DataDirectory + ".pgborg-spool";

    /// <summary>Whether a spool still holds <paramref name="file"/> for Borg (false once pgcad ingested it).</summary>
    public bool SpoolHolds(string file) => Directory.GetDirectories(SpoolRoot).Any(d => File.Exists(System.IO.Path.Combine(d, file)));

    /// <summary>The server log (pg_ctl -l): where PostgreSQL writes archive_command's stderr.</summary>
    public string LogFile => _dir.Sub("server.log");

    /// <param name="extraConf">Lines appended to postgresql.conf.</param>
    /// <param name="dataDirectory">Where initdb puts the cluster (e.g. a btrfs subvolume); default: inside the cluster's temporary directory.</param>
    /// <param name="initdbArgs">More initdb options (e.g. <c>--wal-segsize=64</c>).</param>
    public static Task<PostgresCluster> StartAsync(string extraConf = "", string? dataDirectory = null, params string[] initdbArgs) =>
        StartWithAsync(Bin, extraConf, dataDirectory, initdbArgs);

    /// <summary>A cluster of another major version (<see cref="PostgresVersions"/> fetches its server binaries).</summary>
    public static async Task<PostgresCluster> StartVersionAsync(int major, string extraConf = "") =>
        await StartWithAsync(await PostgresVersions.ServerBinAsync(major), extraConf, null, []);

    private static async Task<PostgresCluster> StartWithAsync(string serverBin, string extraConf, string? dataDirectory, string[] initdbArgs)
    {
        Preconditions.Require();
        var port = NextFreePort();
        var c = new PostgresCluster(port, dataDirectory, serverBin);
        try
        {
            Directory.CreateDirectory(c.SocketDirectory);
            await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", c.SocketDirectory, c._dir.Path);
            if (dataDirectory is not null)
            {
                Directory.CreateDirectory(dataDirectory);
                await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", dataDirectory);
            }
            await Run.AsPostgresAsync($"{serverBin}/initdb", ["-D", c.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", .. initdbArgs]);
            await File.AppendAllTextAsync(Path.Combine(c.DataDirectory, "postgresql.conf"),
                $"\nport = {port}\nunix_socket_directories = '{c.SocketDirectory}'\nlisten_addresses = ''\nfsync = off\nmax_connections = 30\nshared_buffers = 32MB\n{extraConf}\n");
            await Run.AsPostgresAsync($"{serverBin}/pg_ctl", "-D", c.DataDirectory, "-l", c._dir.Sub("server.log"), "-w", "-t", "60", "start");
            c._running = true;
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>A TCP port nothing listens on (for servers started on restored copies).</summary>
    public static int NextFreePort()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref _nextPort);
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                s.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    /// <summary>Runs SQL through psql as postgres; returns unaligned, tuples-only output.</summary>
    public async Task<string> SqlAsync(string sql, string database = "postgres") =>
        (await Run.AsPostgresAsync($"{Bin}/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", ConnInfo(database), "-c", sql)).TrimEnd('\n');

    /// <summary>A tablespace in a new directory below the cluster's root (given to postgres); returns its location and OID.</summary>
    public async Task<(string Location, string Oid)> CreateTablespaceAsync(string name, string directory)
    {
        var location = System.IO.Path.Combine(Root, directory);
        Directory.CreateDirectory(location);
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", location);
        await SqlAsync($"CREATE TABLESPACE {Ident(name)} LOCATION {Literal(location)}");
        return (location, await SqlAsync($"SELECT oid FROM pg_tablespace WHERE spcname = {Literal(name)}"));
    }

    public string ConnInfo(string database) =>
        $"host='{SocketDirectory}' port={Port} dbname='{database.Replace("\\", "\\\\").Replace("'", "\\'")}'";

    /// <summary>The settings continuous archiving with the published binary needs.</summary>
    public static string ArchivingConf => $"wal_level = replica\narchive_mode = on\narchive_command = '{PgBorgBinary.Path} wal-push %p'\narchive_timeout = 60\n";

    /// <summary>Switches to a new WAL segment and waits (up to 60 s) until PostgreSQL has archived the finished one; returns its name.</summary>
    public async Task<string> SwitchAndWaitArchivedAsync()
    {
        var last = await SqlAsync("SELECT pg_walfile_name(pg_switch_wal())");
        await WaitArchivedAsync(last);
        return last;
    }

    /// <summary>Waits (up to 60 s) until PostgreSQL has archived <paramref name="segment"/>; fails with the archiver's view otherwise.</summary>
    public async Task WaitArchivedAsync(string segment)
    {
        const string archiver = "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver";
        for (var i = 0; i < 600; i++)
        {
            if (string.CompareOrdinal(await SqlAsync(archiver), segment) >= 0)
            {
                return;
            }
            await Task.Delay(100);
        }
        var state = await SqlAsync("SELECT coalesce(last_archived_wal, '-') || ', failed ' || failed_count || ' times, last ' || coalesce(last_failed_wal, '-') FROM pg_stat_archiver");
        throw new TimeoutException($"PostgreSQL did not archive {segment} within 60 s: archived {state}");
    }

    /// <summary>A SQL identifier, quoted.</summary>
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>A SQL string literal.</summary>
    public static string Literal(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>Waits (up to 60 s) until recovery has ended and the server takes writes; fails otherwise.</summary>
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
        throw new TimeoutException($"{DataDirectory} is still in recovery after 60 s");
    }

    /// <summary>Starts the server again on its data directory (after a restore into it).</summary>
    public async Task StartAgainAsync()
    {
        await Run.AsPostgresAsync($"{ServerBin}/pg_ctl", "-D", DataDirectory, "-l", _dir.Sub("server.log"), "-w", "-t", "120", "start");
        _running = true;
    }

    /// <summary>
    /// Stops the server cleanly, sets the transaction epoch with pg_resetwal (which needs a clean shutdown) and starts
    /// it again: transaction ids then differ between their 32-bit and epoch-qualified forms.
    /// </summary>
    public async Task SetTransactionEpochAsync(uint epoch)
    {
        await Run.AsPostgresAsync($"{Bin}/pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "stop");
        _running = false;
        await Run.AsPostgresAsync($"{Bin}/pg_resetwal", "-e", epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), "-D", DataDirectory);
        await StartAgainAsync();
    }

    public async Task StopAsync()
    {
        if (_running)
        {
            _running = false;
            await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", $"{ServerBin}/pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _dir.Dispose();
        if (_dataDirectory is not null)
        {
            foreach (var sibling in new[] { _dataDirectory, _dataDirectory + ".pgborg-spool" })
            {
                if (Directory.Exists(sibling))
                {
                    Directory.Delete(sibling, recursive: true);
                }
            }
        }
    }
}
