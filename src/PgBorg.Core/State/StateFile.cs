using System.Text;
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
        WriteAtomically(path, JsonSerializer.Serialize(state, StateJsonContext.Default.DaemonState) + "\n");
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

    /// <summary>Temporary sibling, fsync, rename, fsync of the directory: the file is the old one or the new one.</summary>
    public static void WriteAtomically(string path, string text)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        Durability.FsyncDirectory(directory);
    }
}
