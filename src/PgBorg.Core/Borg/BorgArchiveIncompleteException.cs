namespace PgBorg.Borg;

/// <summary>
/// Borg committed an archive that must not be trusted: it warned that something asked for is not in it (a file it
/// could not read), or what it holds could not be read back to check. The caller deletes it and keeps its sources.
/// </summary>
public sealed class BorgArchiveIncompleteException : Exception
{
    public BorgArchiveIncompleteException(string archive, string repository, string detail)
        : base($"borg create stored {archive} in {repository} without everything it was given: {detail}") => Archive = archive;

    private BorgArchiveIncompleteException(string archive, string message, Exception inner) : base(message, inner) => Archive = archive;

    public string Archive { get; }

    /// <summary>The archive was committed, but listing its items (to count and size them) failed.</summary>
    public static BorgArchiveIncompleteException Unchecked(string archive, string repository, Exception cause) =>
        new(archive, $"borg create stored {archive} in {repository}, but its items could not be listed to check it: {cause.Message}", cause);
}
