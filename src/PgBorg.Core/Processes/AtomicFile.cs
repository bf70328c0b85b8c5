using System.Text;

namespace PgBorg.Processes;

/// <summary>Replaces a file so that a reader sees the old content or the new, never half: temporary sibling, fsync, rename, fsync of the directory.</summary>
public static class AtomicFile
{
    /// <param name="mode">set explicitly when others must read the file whatever the process's umask (the units set 0077)</param>
    public static void Write(string path, string text, UnixFileMode? mode = null)
    {
        var directory = Path.GetDirectoryName(path)!;
        // ends in .tmp: node exporter reads only *.prom, and a leftover of a killed writer is recognisable
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }
        if (mode is { } m)
        {
            File.SetUnixFileMode(temporary, m);
        }
        File.Move(temporary, path, overwrite: true);
        Durability.FsyncDirectory(directory);
    }
}
