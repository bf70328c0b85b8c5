using System.Text;
using System.Text.RegularExpressions;

namespace PgBorg.Processes;

/// <summary>Replaces a file so that a reader sees the old content or the new, never half: temporary sibling, fsync, rename, fsync of the directory.</summary>
public static class AtomicFile
{
    /// <param name="mode">set explicitly when others must read the file whatever the process's umask (the units set 0077)</param>
    public static void Write(string path, string text, UnixFileMode? mode = null)
    {
        var directory = Path.GetDirectoryName(path)!;
        // ends in .tmp: node exporter reads only *.prom, and a leftover of a killed writer is recognisable. A name
        // nobody can guess, made anew (O_EXCL): the directory may be another user's (a spool), who could otherwise
        // put a link where the temporary file goes
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(text));
            if (mode is { } m)
            {
                File.SetUnixFileMode(file.SafeFileHandle, m);
            }
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        Durability.FsyncDirectory(directory);
        RemoveLeftovers(directory, Path.GetFileName(path));
    }

    /// <summary>A write takes milliseconds: a temporary file of this one older than this is a killed writer's.</summary>
    internal static readonly TimeSpan LeftoverAge = TimeSpan.FromHours(1);

    /// <summary>
    /// Temporary files of writers killed between create and rename: each has a name of its own, so without this they
    /// would pile up over months (a state file written every minute, a unit killed now and then). Removing one is
    /// unlink(2) of a name in this directory: a link there is removed, never followed.
    /// </summary>
    private static void RemoveLeftovers(string directory, string name)
    {
        try
        {
            var ours = new Regex($"^\\.{Regex.Escape(name)}\\.[0-9a-f]{{32}}\\.tmp$", RegexOptions.CultureInvariant);
            foreach (var leftover in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
            {
                if (ours.IsMatch(Path.GetFileName(leftover)) && DateTime.UtcNow - File.GetLastWriteTimeUtc(leftover) > LeftoverAge)
                {
                    File.Delete(leftover);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the file itself is written; a leftover is left for the next write
        }
    }
}
