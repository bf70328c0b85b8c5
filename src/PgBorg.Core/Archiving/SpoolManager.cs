using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Archiving;

/// <summary>Creates and retires spool directories: 0700, owned by the service user (wal-push runs as that user).</summary>
public static class SpoolManager
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Creates the spool of a new cycle and seeds it with the timeline history files in pg_wal, so a cycle
    /// started on timeline N also holds N's history (PostgreSQL archives a history file only once, at promotion).
    /// The spool root is the service user's: the new spool is built through a handle (<see cref="DirectoryAnchor"/>)
    /// and the history files are read without following links, so nothing planted there leads root elsewhere.
    /// </summary>
    /// <returns>The history files left out: not a regular file of the service user's (a link, a FIFO).</returns>
    public static async Task<IReadOnlyList<string>> CreateAsync(PgInstance instance, string cycle, CancellationToken ct)
    {
        var skipped = new List<string>();
        var root = SpoolDirectory.RootFor(instance.DataDirectory);
        if (Processes.FileStatus.OfEntry(root) is null)
        {
            Directory.CreateDirectory(root, Private);
            instance.User.Own(root);
        }
        if (Processes.FileStatus.OfEntry(root) is not { IsDirectory: true } facts || facts.Uid != instance.User.Uid)
        {
            throw new IOException($"{root} is not a directory of {instance.User.Name}'s (a link, or another user's): "
                + "pgcad makes no spool there; remove it, and pgcad makes it anew");
        }
        var dir = SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle);
        var building = dir + ".new";
        await RemoveTreeAsync(instance, building, ct).ConfigureAwait(false); // a leftover of a pgcad that was killed
        using (var anchor = DirectoryAnchor.Create(building))
        {
            foreach (var history in Directory.GetFiles(Path.Combine(instance.DataDirectory, "pg_wal"), "*.history"))
            {
                var target = Path.Combine(anchor.Path, Path.GetFileName(history));
                FileStream source;
                try
                {
                    source = ForeignFile.OpenRead(history, owner: instance.User.Uid);
                }
                catch (IOException e) when (e is not FileNotFoundException)
                {
                    skipped.Add(e.Message);
                    continue;
                }
                await using (source.ConfigureAwait(false))
                {
                    var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
                    await using var copy = new FileStream(target, create);
                    await source.CopyToAsync(copy, ct).ConfigureAwait(false);
                }
                instance.User.Own(target);
            }
            instance.User.Own(anchor.Path + "/.");
            // appears to wal-push complete, or not at all
            Native.Rename(building, dir);
            if (!anchor.IsAt(dir))
            {
                throw new IOException($"{building} was replaced while pgcad built it: {dir} is not the spool it made");
            }
        }
        Durability.FsyncDirectory(root);
        return skipped;
    }

    /// <summary>Marks a spool closing: from now on wal-push writes only to the newer spools.</summary>
    public static void MarkClosing(PgInstance instance, string cycle)
    {
        var marker = Path.Combine(SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle), SpoolDirectory.ClosingMarker);
        if (Processes.FileStatus.OfEntry(marker) is not null)
        {
            return;
        }
        try
        {
            // made anew (O_EXCL): never written through something planted at the name
            new FileStream(marker, FileMode.CreateNew, FileAccess.Write).Dispose();
        }
        catch (IOException) when (Processes.FileStatus.OfEntry(marker) is not null)
        {
            return; // there now: marked
        }
        instance.User.Own(marker);
        Durability.FsyncDirectory(SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle));
    }

    public static Task RemoveAsync(PgInstance instance, string cycle, CancellationToken ct) =>
        RemoveTreeAsync(instance, SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle), ct);

    /// <summary>
    /// Removes a tree in the spool root as the service user, who owns it: root walking a tree that user can change
    /// could be led by a link swapped in on the way to delete files of its own.
    /// </summary>
    private static async Task RemoveTreeAsync(PgInstance instance, string path, CancellationToken ct)
    {
        switch (Processes.FileStatus.OfEntry(path))
        {
            case null:
                return;
            case { IsDirectory: true, Uid: 0 } when OsUser.IsRoot:
                // root's own, made by a pgcad killed before it gave it away: only root can empty it
                await TreeRemoval.AsRootAsync(path).ConfigureAwait(false);
                return;
        }
        // not cancelled halfway: a spool whose .closing went first would look open to wal-push again
        ct.ThrowIfCancellationRequested();
        (await TreeRemoval.AsUserAsync(instance.User, [path]).ConfigureAwait(false)).EnsureSuccess();
    }
}
