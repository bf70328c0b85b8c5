using System.Text;

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
        var prefix = "." + Path.GetFileName(path);
        var temporary = TemporarySibling.PathFor(directory, prefix);
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
        TemporarySibling.RemoveLeftovers(directory, prefix);
    }
}
