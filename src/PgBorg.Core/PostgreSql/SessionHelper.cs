using System.Text.Json;
using Npgsql;

namespace PgBorg.PostgreSql;

/// <summary>
/// <c>pgborg __session SOCKET PORT USER</c>, started by pgcad as the service user: holds one PostgreSQL session
/// and answers one command per stdin line with one JSON line. Backup mode is non-exclusive and bound to this
/// session, so whatever happens to pgcad — an exception, SIGTERM, kill -9 — this process sees EOF on stdin, exits,
/// the session ends and PostgreSQL aborts the backup. No backup mode is ever left behind.
/// </summary>
public static class SessionHelper
{
    public const string Command = "__session";

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (args.Length != 3 || !int.TryParse(args[1], out var port))
        {
            await stderr.WriteLineAsync("usage: pgborg __session SOCKET_DIR PORT USER").ConfigureAwait(false);
            return 2;
        }
        var csb = new NpgsqlConnectionStringBuilder
        {
            Host = args[0], Port = port, Username = args[2], Database = "postgres",
            ApplicationName = "pgborg pgcad", Timeout = 15, Pooling = false, CommandTimeout = 0,
        };
        NpgsqlConnection conn;
        await using var source = new NpgsqlSlimDataSourceBuilder(csb.ConnectionString).Build();
        try
        {
            conn = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            await Reply(stdout, new SessionReply(false, $"cannot connect to PostgreSQL on {args[0]} port {port} as {args[2]}: {e.Message}")).ConfigureAwait(false);
            return 1;
        }
        await using (conn)
        {
            await Reply(stdout, new SessionReply(true)).ConfigureAwait(false);
            while (await stdin.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                var space = line.IndexOf(' ');
                var verb = space < 0 ? line : line[..space];
                var argument = space < 0 ? "" : line[(space + 1)..];
                SessionReply reply;
                try
                {
                    reply = verb switch
                    {
                        "settings" => new SessionReply(true, Settings: await SettingsAsync(conn, ct).ConfigureAwait(false)),
                        "start" => await StartBackupAsync(conn, argument, ct).ConfigureAwait(false),
                        "stop" => await StopBackupAsync(conn, ct).ConfigureAwait(false),
                        "switch" => await LsnAsync(conn, "SELECT lsn::text, pg_walfile_name(lsn) FROM pg_switch_wal() AS lsn", ct).ConfigureAwait(false),
                        "reload" => await LsnAsync(conn, "SELECT pg_current_wal_lsn()::text, pg_reload_conf()::text", ct).ConfigureAwait(false),
                        "archiver" => await LsnAsync(conn, "SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, '') FROM pg_stat_archiver", ct).ConfigureAwait(false),
                        "stats" => new SessionReply(true, Archiver: await StatsAsync(conn, ct).ConfigureAwait(false)),
                        "restorepoint" => await RestorePointAsync(conn, argument, ct).ConfigureAwait(false),
                        _ => new SessionReply(false, $"unknown session command '{verb}'"),
                    };
                }
                catch (PostgresException e)
                {
                    reply = new SessionReply(false, e.MessageText, e.SqlState);
                }
                catch (NpgsqlException e)
                {
                    reply = new SessionReply(false, e.Message);
                }
                await Reply(stdout, reply).ConfigureAwait(false);
            }
        }
        return 0;
    }

    private static async Task Reply(TextWriter stdout, SessionReply reply)
    {
        await stdout.WriteLineAsync(JsonSerializer.Serialize(reply, SessionJsonContext.Default.SessionReply)).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
    }

    private static async Task<ServerSettings> SettingsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        const string sql = """
            SELECT current_setting('server_version_num')::int,
                   current_setting('data_directory'),
                   current_setting('wal_level'),
                   current_setting('archive_mode'),
                   current_setting('archive_command'),
                   extract(epoch FROM current_setting('archive_timeout')::interval)::int,
                   current_setting('full_page_writes'),
                   (SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'),
                   (SELECT timeline_id FROM pg_control_checkpoint()),
                   (SELECT system_identifier::text FROM pg_control_system()),
                   pg_is_in_recovery(),
                   current_setting('config_file')
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new ServerSettings(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5),
            r.GetString(6), r.GetInt64(7), (uint)r.GetInt32(8), r.GetString(9), r.GetBoolean(10), r.GetString(11));
    }

    private static async Task<SessionReply> StartBackupAsync(NpgsqlConnection conn, string label, CancellationToken ct)
    {
        var v15 = conn.PostgreSqlVersion.Major >= 15;
        // fast checkpoint: the base starts now, not at the next scheduled checkpoint
        var sql = v15
            ? "SELECT lsn::text, pg_walfile_name(lsn), now() FROM pg_backup_start($1, true) AS lsn"
            : "SELECT lsn::text, pg_walfile_name(lsn), now() FROM pg_start_backup($1, true, false) AS lsn";
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue(label);
        SessionReply reply;
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.ReadAsync(ct).ConfigureAwait(false);
            reply = new SessionReply(true, Lsn: r.GetString(0), WalFile: r.GetString(1), Time: r.GetFieldValue<DateTimeOffset>(2));
        }
        // taken after the checkpoint: a transaction this snapshot sees as finished may have committed before the
        // redo point, so choosing a base for recovery_target_xid with it errs on the safe (older) side
        await using var snap = new NpgsqlCommand(v15 ? "SELECT pg_current_snapshot()::text" : "SELECT txid_current_snapshot()::text", conn);
        return reply with { Snapshot = (string?)await snap.ExecuteScalarAsync(ct).ConfigureAwait(false) };
    }

    private static async Task<SessionReply> RestorePointAsync(NpgsqlConnection conn, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT rp::text, now(), (SELECT timeline_id FROM pg_control_checkpoint()), pg_walfile_name(sw) FROM pg_create_restore_point($1) AS rp, pg_switch_wal() AS sw", conn);
        cmd.Parameters.AddWithValue(name);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new SessionReply(true, Lsn: r.GetString(0), Time: r.GetFieldValue<DateTimeOffset>(1), Timeline: (uint)r.GetInt32(2), WalFile: r.GetString(3));
    }

    private static async Task<SessionReply> StopBackupAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        // does not wait for archiving: PostgreSQL polls for that once a second, pgcad watches its own spool instead
        // (the backup-end segment is switched and archived either way)
        var sql = conn.PostgreSqlVersion.Major >= 15
            ? "SELECT lsn::text, labelfile, spcmapfile, now() FROM pg_backup_stop(false)"
            : "SELECT lsn::text, labelfile, spcmapfile, now() FROM pg_stop_backup(false, false)";
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new SessionReply(true, Lsn: r.GetString(0), LabelFile: r.GetString(1), TablespaceMap: r.IsDBNull(2) ? "" : r.GetString(2),
            Time: r.GetFieldValue<DateTimeOffset>(3));
    }

    private static async Task<ArchiverStats> StatsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        // a standby writes no WAL of its own: no current segment
        const string sql = """
            SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time,
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,
                   (SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'),
                   (SELECT setting::int FROM pg_settings WHERE name = 'archive_timeout')
            FROM pg_stat_archiver
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateTimeOffset? Time(int i) => r.IsDBNull(i) ? null : new DateTimeOffset(r.GetDateTime(i).ToUniversalTime(), TimeSpan.Zero);
        return new ArchiverStats(r.GetInt64(0), Text(1), Time(2), r.GetInt64(3), Text(4), Time(5), Text(6),
            r.GetInt64(7), r.GetInt32(8));
    }

    private static async Task<SessionReply> LsnAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new SessionReply(true, Lsn: r.GetString(0), WalFile: r.GetString(1));
    }
}
