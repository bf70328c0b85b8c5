using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Restore;

/// <summary>One WAL archive of the restored cycle, the files it holds, and which repository holds it.</summary>
public sealed record WalArchiveEntry(
    [property: JsonPropertyName("archive")] string Archive,
    [property: JsonPropertyName("files")] List<string> Files,
    [property: JsonPropertyName("inWalRepository")] bool InWalRepository = false);

/// <summary>
/// What <c>pgborg wal-fetch</c> needs during recovery, written by pgcarestore into the restored data directory
/// (<c>DATADIR/pgborg_restore/context.json</c>, 0600, owned by the service user, excluded from base backups): where
/// the WAL is and where the repository is. In "local" mode pgcarestore extracts all WAL into the restore area (the
/// service user cannot read the repository); in "borg" mode wal-fetch extracts ahead in batches itself, with the
/// <see cref="RestoreCredentials"/> file named here, outside the data directory. Removed when recovery ends.
/// The access fields are filled only in memory (<see cref="WithCredentials"/>, the extractor's job on stdin).
/// </summary>
public sealed record RestoreContext(
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("passphrase")] string? Passphrase,
    [property: JsonPropertyName("passcommand")] string? PassCommand,
    [property: JsonPropertyName("environment")] Dictionary<string, string> Environment,
    [property: JsonPropertyName("archives")] List<WalArchiveEntry> Archives,
    [property: JsonPropertyName("credentials")] string? Credentials = null,
    [property: JsonPropertyName("follow")] ArchiveSource? Follow = null,
    [property: JsonPropertyName("walRepository")] string? WalRepository = null)
{
    public const string LocalMode = "local";
    public const string BorgMode = "borg";
    public const string AreaName = "pgborg_restore";

    /// <summary>Inside the data directory: the service user can always remove it when recovery ends.</summary>
    public static string AreaFor(string dataDirectory) => Path.Combine(dataDirectory, AreaName);

    public static string PathFor(string dataDirectory) => Path.Combine(AreaFor(dataDirectory), "context.json");

    /// <summary>How to open the archive repository from this context (the secrets it carries, if any).</summary>
    public Configuration.RepositorySettings RepositorySettings(TimeSpan lockWait) =>
        new(Repository, Passphrase, PassCommand, Environment, lockWait, "lz4", null);

    /// <summary>
    /// How to open the repository holding <paramref name="entry"/>: the WAL repository (same passphrase and
    /// environment), or the archive repository for WAL archived before WAL had a repository of its own.
    /// </summary>
    public Configuration.RepositorySettings RepositorySettingsFor(WalArchiveEntry entry, TimeSpan lockWait) =>
        RepositorySettings(lockWait) with { Location = entry.InWalRepository && WalRepository is not null ? WalRepository : Repository };

    /// <summary>The repositories a standby following the archive looks in: the WAL repository first.</summary>
    public IReadOnlyList<Configuration.RepositorySettings> FollowRepositories(TimeSpan lockWait) => WalRepository is null
        ? [RepositorySettings(lockWait)]
        : [RepositorySettings(lockWait) with { Location = WalRepository }, RepositorySettings(lockWait)];

    /// <summary>This context with the repository access read from its credentials file (if it names one).</summary>
    public RestoreContext WithCredentials()
    {
        if (Credentials is null)
        {
            return this;
        }
        var c = RestoreCredentials.Read(Credentials);
        return this with { Passphrase = c.Passphrase, PassCommand = c.PassCommand, Environment = c.Environment };
    }

    public string ToJson() => JsonSerializer.Serialize(this, RestoreJsonContext.Default.RestoreContext);

    public static RestoreContext Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), RestoreJsonContext.Default.RestoreContext)
        ?? throw new InvalidDataException($"{path} is empty");
}

[JsonSerializable(typeof(RestoreContext))]
[JsonSerializable(typeof(WalExtractorJob))]
[JsonSerializable(typeof(RestoreCredentials))]
internal sealed partial class RestoreJsonContext : JsonSerializerContext;
