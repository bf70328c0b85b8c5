using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Verify;

/// <summary>
/// A restored throwaway copy run by the instance's service user: its own Unix socket directory in the scratch area,
/// no TCP listener, archiving off, so it can neither be reached from outside nor archive into the instance's spools.
/// </summary>
internal sealed class ScratchServer(PgInstance instance, string dataDirectory, string socketDirectory)
{
    /// <summary>
    /// A port nothing listens on: the copy opens no TCP socket, but the number names its Unix socket and a
    /// free one keeps clients that guess the port from reaching it.
    /// </summary>
    public int Port { get; } = FreePort();

    public string LogFile => Path.Combine(socketDirectory, "server.log");

    /// <summary>
    /// A data directory restored from a Debian cluster has its configuration in /etc/postgresql, not beside the data:
    /// the copy gets an empty postgresql.conf (built-in defaults) and peer authentication on its socket only.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Configuration = new Dictionary<string, string>
    {
        ["postgresql.conf"] = "",
        ["pg_hba.conf"] = "local all all peer\n",
        ["pg_ident.conf"] = "",
    };

    public async Task StartAsync(CancellationToken ct)
    {
        var options = string.Create(CultureInfo.InvariantCulture,
            $"-c port={Port} -c listen_addresses='' -c unix_socket_directories='{socketDirectory}' -c archive_mode=off -c archive_command='' -c hot_standby=on");
        var r = await ChildProcess.RunAsync(Spec(instance.Tool("pg_ctl"), ["-D", dataDirectory, "-l", LogFile, "-o", options, "-W", "start"]), ct).ConfigureAwait(false);
        r.EnsureSuccess();
    }

    /// <summary>Whether the postmaster of the copy is alive (its pid file names a running process).</summary>
    public bool IsRunning()
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        try
        {
            return int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Native.kill(pid, 0) == 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>One value from the copy (psql as the service user over the socket), or null while it does not answer.</summary>
    public async Task<string?> QueryAsync(string sql, CancellationToken ct)
    {
        var r = await ChildProcess.RunAsync(Spec(instance.Tool("psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql]), ct).ConfigureAwait(false);
        return r.ExitCode == 0 ? r.Stdout.TrimEnd('\n') : null;
    }

    /// <summary>pg_amcheck on every database that accepts connections: heap and B-tree indexes.</summary>
    public Task<ProcessResult> AmcheckAsync(CancellationToken ct) =>
        // --install-missing creates the amcheck extension in each database of this restored throwaway copy only;
        // the instance itself is never touched
        ChildProcess.RunAsync(Spec(instance.Tool("pg_amcheck"), ["--all", "--install-missing", "--no-strict-names"]), ct);

    public string LogTail(int lines)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Stops the copy at once (nothing of it is kept); waits until it is gone.</summary>
    public async Task StopAsync()
    {
        if (!IsRunning())
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await ChildProcess.RunAsync(Spec(instance.Tool("pg_ctl"), ["-D", dataDirectory, "-m", "immediate", "-w", "stop"]), timeout.Token).ConfigureAwait(false);
    }

    private ProcessSpec Spec(string program, IReadOnlyList<string> args) => new(program, args)
    {
        RunAs = instance.User,
        WorkingDirectory = socketDirectory,
        Environment = new Dictionary<string, string>
        {
            ["PATH"] = $"{instance.BinDirectory}:/usr/bin:/bin",
            ["HOME"] = instance.User.Home,
            ["LANG"] = "C.UTF-8",
            ["PGHOST"] = socketDirectory,
            ["PGPORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["PGUSER"] = instance.User.Name,
        },
    };

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
