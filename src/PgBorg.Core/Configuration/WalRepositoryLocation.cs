namespace PgBorg.Configuration;

/// <summary>The default WAL repository: the archive repository's location with "-wal" appended to its last path element.</summary>
public static class WalRepositoryLocation
{
    /// <summary>
    /// <c>/var/backups/pgborg/archive</c> → <c>/var/backups/pgborg/archive-wal</c>,
    /// <c>ssh://u@h:22/srv/archive/</c> → <c>ssh://u@h:22/srv/archive-wal</c>, <c>u@h:archive</c> → <c>u@h:archive-wal</c>.
    /// A trailing slash would otherwise make "archive/-wal", a directory inside the archive repository.
    /// </summary>
    public static string Default(string archiveLocation)
    {
        var trimmed = archiveLocation.Length > 1 ? archiveLocation.TrimEnd('/') : archiveLocation;
        return trimmed + "-wal";
    }
}
