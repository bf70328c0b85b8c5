using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Restore;

/// <summary>
/// How wal-fetch opens the repository in Borg mode (passphrase or passcommand, Borg's environment). Kept outside the
/// restored data directory, in <c>DATADIR.pgborg-restore/credentials.json</c> (0700 directory, 0600 file, the service
/// user's), so that nothing under the data directory — which a superuser reads with <c>pg_read_file</c>, and the next
/// base backup copies — ever holds a secret. Removed by <c>recovery_end_command</c> when recovery ends.
/// </summary>
public sealed record RestoreCredentials(
    [property: JsonPropertyName("passphrase")] string? Passphrase,
    [property: JsonPropertyName("passcommand")] string? PassCommand,
    [property: JsonPropertyName("environment")] Dictionary<string, string> Environment)
{
    public const string DirectorySuffix = ".pgborg-restore";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    public static string DirectoryFor(string targetDirectory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDirectory)) + DirectorySuffix;

    private const string FileName = "credentials.json";

    /// <summary>
    /// Writes the file (creating its directory afresh, owner-only); returns its path. The directory is next to the
    /// data directory, whose parent may be the service user's: it is made and written through a handle
    /// (<see cref="Processes.DirectoryAnchor"/>), so no link put there leads root's write elsewhere.
    /// </summary>
    public string Write(string directory, Processes.OsUser owner)
    {
        RemoveDirectory(directory); // a leftover of an earlier restore to the same place
        using var anchor = Processes.DirectoryAnchor.Create(directory);
        var path = Path.Combine(anchor.Path, FileName);
        using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        {
            JsonSerializer.Serialize(file, this, RestoreJsonContext.Default.RestoreCredentials);
        }
        owner.Own(path);
        owner.Own(anchor.Path + "/.");
        return Path.Combine(directory, FileName);
    }

    /// <summary>
    /// Removes a credentials directory (a leftover, or that of a restore that failed): its file and itself, never
    /// following a link: a link in its place is removed, not what it points to.
    /// </summary>
    /// <exception cref="IOException">It holds more than the credentials file.</exception>
    public static void RemoveDirectory(string directory)
    {
        switch (Processes.FileStatus.OfEntry(directory))
        {
            case null:
                return;
            case { IsDirectory: false }:
                File.Delete(directory);
                return;
            default:
                File.Delete(Path.Combine(directory, FileName));
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException e)
                {
                    throw new IOException($"{directory} holds more than pgborg put there; look at it and remove it ({e.Message})", e);
                }
                return;
        }
    }

    public static RestoreCredentials Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), RestoreJsonContext.Default.RestoreCredentials)
        ?? throw new InvalidDataException($"{path} is empty");

    /// <summary>Removes the file and, where the parent directory allows, its directory.</summary>
    public static void Remove(string path)
    {
        File.Delete(path);
        try
        {
            Directory.Delete(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // an empty directory the service user may not remove from a parent it cannot write: no secret is left
        }
    }
}
