using System.Text.Json;
using System.Text.Json.Serialization;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>What the background WAL extractor needs, handed to it on stdin (the passphrase never goes into argv).</summary>
public sealed record WalExtractorJob(
    [property: JsonPropertyName("access")] RestoreContext Access,
    [property: JsonPropertyName("state_directory")] string StateDirectory,
    [property: JsonPropertyName("user")] string UserName,
    [property: JsonPropertyName("uid")] uint Uid,
    [property: JsonPropertyName("gid")] uint Gid)
{
    public string ToJson() => JsonSerializer.Serialize(this, RestoreJsonContext.Default.WalExtractorJob);

    /// <summary>
    /// The job for the WAL of a restore context: the context (which carries no secret in local mode) plus the
    /// repository's access from the configuration, Borg's state directory, and the service user to give files to.
    /// </summary>
    public static WalExtractorJob For(RestoreContext context, Borg.BorgRepository repo, OsUser user)
    {
        var s = repo.Settings;
        var access = context with { Passphrase = s.Passphrase, PassCommand = s.PassCommand, Environment = new Dictionary<string, string>(s.Environment) };
        return new WalExtractorJob(access, repo.StateDirectory, user.Name, user.Uid, user.Gid);
    }

    public static WalExtractorJob Parse(string json) =>
        JsonSerializer.Deserialize(json, RestoreJsonContext.Default.WalExtractorJob) ?? throw new InvalidDataException("empty WAL extractor job");
}
