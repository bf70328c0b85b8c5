using System.Text;
using System.Text.Json;
using PgBorg.Processes;

namespace PgBorg.PostgreSql;

/// <summary>
/// pgcad's side of a PostgreSQL session held by <see cref="SessionHelper"/> running as the service user.
/// Disposing closes the helper's stdin: it exits and PostgreSQL ends the session (and any backup mode with it).
/// </summary>
public sealed class ServerSession : IAsyncDisposable
{
    private readonly ChildProcess _child;
    private readonly StreamWriter _in;
    private readonly StreamReader _out;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private ServerSession(ChildProcess child)
    {
        _child = child;
        _in = new StreamWriter(child.StandardInput, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        _out = new StreamReader(child.StandardOutput, Encoding.UTF8);
    }

    public static async Task<ServerSession> OpenAsync(PgInstance instance, CancellationToken ct)
    {
        var spec = ServiceUserHelper.Spec(instance, SessionHelper.Command);
        var child = ChildProcess.Start(spec, stdin: true, stdout: true);
        var session = new ServerSession(child);
        try
        {
            await session.ReadReplyAsync("connect", ct).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<ServerSettings> SettingsAsync(CancellationToken ct) => (await SendAsync("settings", ct).ConfigureAwait(false)).Settings!;

    /// <summary>Enters non-exclusive backup mode with a fast checkpoint.</summary>
    public Task<SessionReply> StartBackupAsync(string label, CancellationToken ct) => SendAsync("start " + label.Replace('\n', ' '), ct);

    /// <summary>Leaves backup mode without waiting for archiving (the caller waits for the stop segment in its spool). Returns the label and tablespace map.</summary>
    public Task<SessionReply> StopBackupAsync(CancellationToken ct) => SendAsync("stop", ct);

    public Task<SessionReply> SwitchWalAsync(CancellationToken ct) => SendAsync("switch", ct);

    /// <summary>pg_create_restore_point(NAME) then pg_switch_wal(), so the point is archived at once.</summary>
    public Task<SessionReply> CreateRestorePointAsync(string name, CancellationToken ct) => SendAsync("restorepoint " + name.Replace('\n', ' '), ct);

    /// <summary>
    /// pg_reload_conf(): the SIGHUP also wakes the archiver, which after three failed archive_command calls (no spool
    /// yet) otherwise sleeps up to a minute before it tries again.
    /// </summary>
    public Task<SessionReply> WakeArchiverAsync(CancellationToken ct) => SendAsync("reload", ct);

    /// <summary>pg_stat_archiver: the last archived WAL file (in <c>Lsn</c>) and the last one that failed (in <c>WalFile</c>).</summary>
    public Task<SessionReply> ArchiverAsync(CancellationToken ct) => SendAsync("archiver", ct);

    /// <summary>pg_stat_archiver in full, the segment being written and the settings that say how fast WAL should arrive.</summary>
    public async Task<ArchiverStats> StatsAsync(CancellationToken ct) => (await SendAsync("stats", ct).ConfigureAwait(false)).Archiver!;

    private async Task<SessionReply> SendAsync(string command, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _in.WriteLineAsync(command.AsMemory(), ct).ConfigureAwait(false);
            return await ReadReplyAsync(command.Split(' ')[0], ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new PgException($"the PostgreSQL session helper went away during '{command.Split(' ')[0]}': {e.Message} {_child.StderrTail}".Trim());
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SessionReply> ReadReplyAsync(string what, CancellationToken ct)
    {
        var line = await _out.ReadLineAsync(ct).ConfigureAwait(false)
            ?? throw new PgException($"the PostgreSQL session helper ended during '{what}': {_child.StderrTail}".Trim());
        var reply = JsonSerializer.Deserialize(line, SessionJsonContext.Default.SessionReply)
            ?? throw new PgException($"unreadable reply from the session helper: {line}");
        if (!reply.Ok)
        {
            throw new PgException($"PostgreSQL: {what}: {reply.Error}" + (reply.SqlState is null ? "" : $" (SQLSTATE {reply.SqlState})"));
        }
        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _in.Close();
        }
        catch (IOException)
        {
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _child.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _child.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
