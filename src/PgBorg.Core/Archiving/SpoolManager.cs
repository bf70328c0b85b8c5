using PgBorg.Processes;
using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>Creates and retires spool directories: 0700, owned by the service user (wal-push runs as that user).</summary>
public static class SpoolManager
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Creates the spool of a new cycle and seeds it with the timeline history files in pg_wal, so a cycle
    /// started on timeline N also holds N's history (PostgreSQL archives a history file only once, at promotion).
    /// </summary>
    public static void Create(PgInstance instance, string cycle)
    {
        var root = SpoolDirectory.RootFor(instance.DataDirectory);
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root, Private);
            instance.User.Own(root);
        }
        var dir = SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle);
        var building = dir + ".new";
        if (Directory.Exists(building))
        {
            Directory.Delete(building, true);
        }
        Directory.CreateDirectory(building, Private);
        foreach (var history in Directory.GetFiles(Path.Combine(instance.DataDirectory, "pg_wal"), "*.history"))
        {
            var target = Path.Combine(building, Path.GetFileName(history));
            File.Copy(history, target);
            instance.User.Own(target);
        }
        instance.User.Own(building);
        // appears to wal-push complete, or not at all
        Directory.Move(building, dir);
        Durability.FsyncDirectory(root);
    }

    /// <summary>Marks a spool closing: from now on wal-push writes only to the newer spools.</summary>
    public static void MarkClosing(PgInstance instance, string cycle)
    {
        var marker = Path.Combine(SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle), SpoolDirectory.ClosingMarker);
        if (!File.Exists(marker))
        {
            File.WriteAllText(marker, "");
            instance.User.Own(marker);
            Durability.FsyncDirectory(SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle));
        }
    }

    public static void Remove(PgInstance instance, string cycle)
    {
        var dir = SpoolDirectory.CycleDirectory(instance.DataDirectory, cycle);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
