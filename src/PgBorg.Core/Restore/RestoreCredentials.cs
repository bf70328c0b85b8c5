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

    /// <summary>Writes the file (creating its directory afresh, owner-only); returns its path.</summary>
    public string Write(string directory, Processes.OsUser owner)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true); // a leftover of an earlier restore to the same place
        }
        Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        var path = Path.Combine(directory, "credentials.json");
        using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        {
            JsonSerializer.Serialize(file, this, RestoreJsonContext.Default.RestoreCredentials);
        }
        owner.Own(path);
        owner.Own(directory);
        return path;
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
