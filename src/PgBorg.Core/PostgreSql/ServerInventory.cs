using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using PgBorg.Processes;

namespace PgBorg.PostgreSql;

public sealed record DatabaseInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("allowConnections")] bool AllowConnections,
    [property: JsonPropertyName("size")] long? Size = null);

/// <summary>What a running server says about itself: its version, its data directory and its databases.</summary>
public sealed record ServerInventory(
    [property: JsonPropertyName("serverVersionNum")] int ServerVersionNum,
    [property: JsonPropertyName("dataDirectory")] string DataDirectory,
    [property: JsonPropertyName("databases")] List<DatabaseInfo> Databases);

[JsonSerializable(typeof(ServerInventory))]
internal sealed partial class PgJsonContext : JsonSerializerContext;

/// <summary>
/// Reads the inventory of an instance over its Unix socket with Npgsql, always as the instance's service user:
/// in-process when we are that user, otherwise through this same binary started as that user
/// (<c>pgborg __inventory</c>), so peer authentication works and root never needs a password.
/// </summary>
public static class ServerInventoryReader
{
    public const string HelperCommand = "__inventory";

    public static async Task<ServerInventory> ReadAsync(PgInstance instance, CancellationToken ct)
    {
        if (instance.User.Uid == Native.geteuid())
        {
            return await QueryAsync(instance.SocketDirectory, instance.Port, instance.User.Name, ct).ConfigureAwait(false);
        }
        var spec = ServiceUserHelper.Spec(instance, HelperCommand);
        var result = await ChildProcess.RunAsync(spec, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new PgException(result.StderrTail.Trim().Length > 0 ? result.StderrTail.Trim() : $"inventory helper exited with code {result.ExitCode}");
        }
        return JsonSerializer.Deserialize(result.Stdout, PgJsonContext.Default.ServerInventory)
            ?? throw new PgException("inventory helper printed no JSON");
    }

    /// <summary>The in-process query (also what the helper runs).</summary>
    public static async Task<ServerInventory> QueryAsync(string socketDirectory, int port, string user, CancellationToken ct)
    {
        var csb = new NpgsqlConnectionStringBuilder
        {
            Host = socketDirectory,
            Port = port,
            Username = user,
            Database = "postgres",
            ApplicationName = "pgborg",
            Timeout = 15,
            Pooling = false,
        };
        try
        {
            await using var source = new NpgsqlSlimDataSourceBuilder(csb.ConnectionString).Build();
            await using var conn = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            int versionNum;
            string dataDirectory;
            await using (var cmd = new NpgsqlCommand("SELECT current_setting('server_version_num')::int, current_setting('data_directory')", conn))
            await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                await reader.ReadAsync(ct).ConfigureAwait(false);
                versionNum = reader.GetInt32(0);
                dataDirectory = reader.GetString(1);
            }
            var databases = new List<DatabaseInfo>();
            await using (var cmd = new NpgsqlCommand("SELECT datname, datallowconn FROM pg_database WHERE NOT datistemplate ORDER BY datname", conn))
            await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    databases.Add(new DatabaseInfo(reader.GetString(0), reader.GetBoolean(1)));
                }
            }
            return new ServerInventory(versionNum, dataDirectory, await WithSizesAsync(conn, databases, ct).ConfigureAwait(false));
        }
        catch (NpgsqlException e)
        {
            throw new PgException($"cannot query PostgreSQL on {socketDirectory} port {port} as {user}: {e.Message}");
        }
    }

    /// <summary>
    /// Adds each database's size (pgdumpd dumps the small ones first). Best effort: a database dropped at that very
    /// moment makes pg_database_size fail, and then the sizes are simply unknown.
    /// </summary>
    private static async Task<List<DatabaseInfo>> WithSizesAsync(NpgsqlConnection conn, List<DatabaseInfo> databases, CancellationToken ct)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT datname, pg_database_size(oid) FROM pg_database WHERE NOT datistemplate AND has_database_privilege(oid, 'CONNECT')", conn);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                sizes[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        catch (PostgresException)
        {
            return databases;
        }
        return databases.Select(d => sizes.TryGetValue(d.Name, out var size) ? d with { Size = size } : d).ToList();
    }

    /// <summary>Entry point of the helper: prints the inventory as JSON, or one error line and exit 1.</summary>
    public static async Task<int> RunHelperAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (args.Length != 3 || !int.TryParse(args[1], out var port))
        {
            await stderr.WriteLineAsync("usage: pgborg __inventory SOCKET_DIR PORT USER").ConfigureAwait(false);
            return 2;
        }
        try
        {
            var inventory = await QueryAsync(args[0], port, args[2], ct).ConfigureAwait(false);
            await stdout.WriteLineAsync(JsonSerializer.Serialize(inventory, PgJsonContext.Default.ServerInventory)).ConfigureAwait(false);
            return 0;
        }
        catch (PgException e)
        {
            await stderr.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 1;
        }
    }
}

/// <summary>PostgreSQL said no, or could not be reached.</summary>
public sealed class PgException(string message) : Exception(message);
