namespace PgBorg.Borg;

public sealed partial class BorgRepository
{
    /// <summary>
    /// True when Borg opened a repository at this location before, from this state directory: Borg keeps, per
    /// repository id, the canonical location it last saw it at (<c>BORG_BASE_DIR/.config/borg/security/ID/location</c>).
    /// A repository that was there and is gone is a backup disk that is not mounted, a remote path that moved, or a
    /// deletion — never a reason to create a new, empty repository in its place: WAL stored there would vanish when the
    /// disk is mounted again over it, and restores would not find it.
    /// </summary>
    private bool OpenedBefore()
    {
        var security = Path.Combine(_stateDirectory, "borg", ".config", "borg", "security");
        if (!Directory.Exists(security))
        {
            return false;
        }
        var wanted = CanonicalLocation();
        foreach (var file in Directory.EnumerateFiles(security, "location", SearchOption.AllDirectories))
        {
            if (string.Equals(File.ReadAllText(file).Trim().TrimEnd('/'), wanted, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The location as Borg writes it into its security directory: an absolute path for a local repository.</summary>
    private string CanonicalLocation() => (IsLocal ? Path.GetFullPath(_settings.Location) : _settings.Location).TrimEnd('/');

    private BorgException Vanished() => new("init", _settings.Location, 2, "Repository.DoesNotExist",
        $"repository {_settings.Location} is gone, but this host has used a repository there before: is its disk mounted, its server "
        + "reachable? pgborg does not create a new, empty repository in its place. If it was removed on purpose, remove the "
        + $"directory of its id under {Path.Combine(_stateDirectory, "borg", ".config", "borg", "security")} (the one whose "
        + "'location' file names it) to start afresh");
}
