using System.Text.Json;
using PgBorg.Processes;

namespace PgBorg.State;

/// <summary>
/// The one writer (and the reader) of a daemon's state file. Written to a temporary name, fsynced and renamed, so a
/// reader sees the previous round or this one, never half of one; a daemon killed while writing leaves the old file.
/// </summary>
public static class StateFile
{
    public const string ArchiveDaemon = "pgcad";
    public const string DumpDaemon = "pgdumpd";

    public static string PathFor(string stateDirectory, string daemon) => Path.Combine(stateDirectory, "status", daemon + ".json");

    public static void Write(string stateDirectory, DaemonState state)
    {
        var path = PathFor(stateDirectory, state.Daemon);
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        AtomicFile.Write(path, JsonSerializer.Serialize(state, StateJsonContext.Default.DaemonState) + "\n");
    }

    /// <summary>The daemon's last state; null when it never wrote one, or the file is not readable as one.</summary>
    public static DaemonState? TryRead(string stateDirectory, string daemon)
    {
        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllText(PathFor(stateDirectory, daemon)), StateJsonContext.Default.DaemonState);
            return state?.Format == DaemonState.CurrentFormat ? state : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
