using System.Text.Json.Serialization;

namespace PgBorg.State;

/// <summary>
/// What one daemon (pgcad or pgdumpd) knows after its last round, kept in <c>STATE_DIRECTORY/status/DAEMON.json</c>
/// so that <c>pgborg status</c> and <c>pgborg metrics</c> answer without touching a repository (whose lock a base
/// backup or a compaction may hold for hours). Each daemon has its own file: both may run at once.
/// </summary>
public sealed record DaemonState(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("daemon")] string Daemon,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("writtenAt")] DateTimeOffset WrittenAt,
    [property: JsonPropertyName("instances")] List<InstanceState> Instances,
    [property: JsonPropertyName("databases")] List<DatabaseState> Databases,
    [property: JsonPropertyName("repositories")] List<RepositoryState> Repositories)
{
    public const string CurrentFormat = "pgborg-state/1";

    public static DaemonState Empty(string daemon) => new(CurrentFormat, daemon, Environment.ProcessId, DateTimeOffset.UtcNow, [], [], []);
}
