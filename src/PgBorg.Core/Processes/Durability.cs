using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PgBorg.Processes;

/// <summary>fsync(2) of a directory (a rename made durable) and syncfs(2) of a filesystem (everything written there).</summary>
public static partial class Durability
{
    /// <summary>fsync(2) on a directory, so a rename or a new entry in it is durable.</summary>
    public static void FsyncDirectory(string directory) => OnDirectory(directory, fsync, "fsync of");

    /// <summary>syncfs(2) of the filesystem holding <paramref name="directory"/>: one call for every file written there.</summary>
    public static void SyncFilesystem(string directory) => OnDirectory(directory, syncfs, "syncfs of the filesystem of");

    private static void OnDirectory(string directory, Func<SafeFileHandle, int> operation, string what)
    {
        var fd = Native.Open(directory, OpenFlags.Directory);
        if (fd < 0)
        {
            throw new IOException($"cannot open {directory} for {what.Split(' ')[0]}: errno {Marshal.GetLastPInvokeError()}");
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (operation(handle) != 0)
        {
            throw new IOException($"{what} {directory} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>fsync(2) of an open file; works on a descriptor opened for reading too.</summary>
    public static void Fsync(SafeFileHandle file)
    {
        if (fsync(file) != 0)
        {
            throw new IOException($"fsync failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int syncfs(SafeFileHandle fd);

    /// <summary>
    /// Starts writing <paramref name="file"/>'s dirty pages to disk and returns at once (sync_file_range(2) with
    /// SYNC_FILE_RANGE_WRITE), so that the fsync which must follow finds little left to wait for. Advisory: where the
    /// filesystem cannot, nothing happens, and the fsync does it all.
    /// </summary>
    public static void StartWriteback(SafeFileHandle file) => _ = sync_file_range(file, 0, 0, SyncFileRangeWrite);

    private const uint SyncFileRangeWrite = 2;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);

    /// <summary>
    /// While something writes into <paramref name="directories"/> (Borg extracting on every core), what is written
    /// so far goes to disk in the background, as per-file fsyncs would: a final <see cref="SyncFilesystem"/> then has
    /// only the last moments left to write.
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
