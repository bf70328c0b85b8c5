namespace PgBorg.Borg;

/// <summary>
/// Borg committed an archive but warned that something asked for is not in it (a file it could not read). The archive
/// must not be trusted: the caller deletes it and keeps its sources.
/// </summary>
public sealed class BorgArchiveIncompleteException(string archive, string repository, string detail)
    : Exception($"borg create stored {archive} in {repository} without everything it was given: {detail}")
{
    public string Archive { get; } = archive;
}
