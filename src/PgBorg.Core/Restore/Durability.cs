using System.Runtime.InteropServices;
using PgBorg.Archiving;

namespace PgBorg.Restore;

/// <summary>A restored data directory is on disk before pgcarestore says it is done (as pg_basebackup and pgBackRest do).</summary>
internal static class Durability
{
    /// <summary>syncfs(2) of the filesystem holding <paramref name="directory"/>: one call for every file extracted there.</summary>
    public static void SyncFilesystem(string directory)
    {
        var fd = DirectoryNative.open(directory, DirectoryNative.O_RDONLY | DirectoryNative.O_DIRECTORY);
        if (fd < 0)
        {
            throw new IOException($"cannot open {directory} to sync its filesystem: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            if (DirectoryNative.syncfs(fd) != 0)
            {
                throw new IOException($"syncfs of the filesystem of {directory} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = DirectoryNative.close(fd);
        }
    }

    /// <summary>
    /// While Borg extracts (on every core), the data written so far goes to disk in the background, as pgBackRest's
    /// per-file fsyncs do: the final <see cref="SyncFilesystem"/> then has only the last moments left to write.
    /// </summary>
    public static async Task FlushWhileAsync(IReadOnlyList<string> directories, CancellationToken running)
    {
        while (!running.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(250, running).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await Task.Run(() =>
            {
                foreach (var dir in directories.Where(Directory.Exists))
                {
                    try
                    {
                        SyncFilesystem(dir);
                    }
                    catch (IOException)
                    {
                        // the final sync reports it
                    }
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
