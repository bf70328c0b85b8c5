using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>
/// Whether the service user can read the repository itself ("borg" mode: wal-fetch may then fetch from Borg should the
/// background extractor stop) — decided from the permission bits where they are conclusive, else by a Borg probe run
/// as that user beside the base extraction.
/// </summary>
public static class ServiceUserAccess
{
    /// <summary>
    /// "borg" mode when <paramref name="user"/> can read every repository that holds WAL of the plan, and the WAL
    /// repository too when <paramref name="standby"/> (a standby fetches what is archived after the restore);
    /// otherwise "local" mode with the first one it cannot read.
    /// </summary>
    public static async Task<WalAccess> ProbeAsync(Archiving.ArchiveRepositories repos, OsUser user, RestorePlan plan, bool standby,
        ILogger log, CancellationToken ct)
    {
        var batches = plan.Cycle.WalBatches;
        var probes = new List<(BorgRepository Repo, string? Archive)>();
        if (batches.FirstOrDefault(b => b.InWalRepository) is { } walBatch)
        {
            probes.Add((repos.Wal, walBatch.Archive));
        }
        else if (standby)
        {
            probes.Add((repos.Wal, null));
        }
        if (batches.FirstOrDefault(b => !b.InWalRepository) is { } archiveBatch)
        {
            probes.Add((repos.Archive, archiveBatch.Archive));
        }
        foreach (var (repo, archive) in probes)
        {
            if (!await CanReadAsync(repo, user, archive, ct, log).ConfigureAwait(false))
            {
                return new WalAccess(false, repo.Location);
            }
        }
        // nothing to probe (no WAL to fetch, no standby): only "borg" mode when we run as that user ourselves, so that
        // root hands the service user no credentials it needs for nothing
        return probes.Count > 0 || user.Uid == Native.geteuid() ? WalAccess.Borg : new WalAccess(false, null);
    }

    /// <summary>Whether <paramref name="user"/> can list <paramref name="archive"/> (or, when null, the repository) of <paramref name="repo"/>.</summary>
    private static async Task<bool> CanReadAsync(BorgRepository repo, OsUser user, string? archive, CancellationToken ct, ILogger log)
    {
        if (user.Uid == Native.geteuid())
        {
            return true;
        }
        if (!OsUser.IsRoot || (repo.IsLocal && Unreachable(repo.Location, user)))
        {
            return false;
        }
        if (repo.IsLocal && !Writable(repo.Location, user))
        {
            return false; // Borg could not create its lock files there as that user
        }
        // Borg's base directory for the probe: the user's own, outside the restore (which stays root's until complete)
        var probe = Directory.CreateTempSubdirectory("pgborg-probe-").FullName;
        user.Own(probe);
        try
        {
            // a local repository: without lock files, so that it can run beside our own extracts (lock files of
            // root's Borg processes cannot be joined by the service user); a remote one locks on the far side
            var check = new BorgRepository(repo.Settings, probe, log);
            return await check.CanListAsUserAsync(archive, user, ct, bypassLock: repo.IsLocal).ConfigureAwait(false);
        }
        finally
        {
            await TreeRemoval.AsUserAsync(user, [probe]).ConfigureAwait(false);
            if (Directory.Exists(probe))
            {
                Log.ProbeLeftBehind(log, probe);
            }
        }
    }

    /// <summary>The permission bits let <paramref name="user"/> create entries in <paramref name="directory"/> (not counting supplementary groups).</summary>
    internal static bool Writable(string directory, OsUser user)
    {
        if (!Directory.Exists(directory) || FileStatus.Of(directory)?.Uid is not { } owner)
        {
            return false;
        }
        var mode = File.GetUnixFileMode(directory);
        const UnixFileMode userWx = UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode groupWx = UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;
        const UnixFileMode otherWx = UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        return owner == user.Uid ? (mode & userWx) == userWx
            : (mode & otherWx) == otherWx || ((mode & groupWx) == groupWx && FileStatus.Of(directory)?.Gid == user.Gid);
    }

    /// <summary>
    /// True when the permission bits alone show that <paramref name="user"/> cannot enter the local repository
    /// directory (nor one above it) — root's usual 0700 repository — so the Borg probe as that user is not needed.
    /// Anything less certain (group bits that may apply, ACLs aside) is left to the probe.
    /// </summary>
    internal static bool Unreachable(string location, OsUser user)
    {
        for (var dir = Path.GetFullPath(location); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (!Directory.Exists(dir) || FileStatus.Of(dir)?.Uid is not { } owner)
            {
                return false;
            }
            var mode = File.GetUnixFileMode(dir);
            var enterable = owner == user.Uid
                ? mode.HasFlag(UnixFileMode.UserExecute)
                : mode.HasFlag(UnixFileMode.GroupExecute) || mode.HasFlag(UnixFileMode.OtherExecute);
            if (!enterable)
            {
                return true;
            }
        }
        return false;
    }
}
