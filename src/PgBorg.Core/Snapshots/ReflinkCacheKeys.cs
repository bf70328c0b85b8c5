using System.IO.Enumeration;
using System.Runtime.InteropServices;
using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>
/// Gives the files of a reflink copy a key for Borg's files cache (<see cref="FilesCacheModes.Reflink"/>): each copied
/// regular file's mtime becomes the ctime of its original, read after the copy was made. Why that is safe: let K be
/// the original's ctime read at time s, after its content was copied at time c, with K older than the copy's start
/// by more than <see cref="Margin"/>. No write reached the original between K's tick and s (else its ctime would be
/// later), so the copy holds the content as of K. In the next copy the same K again means no write after s either
/// — any write, chmod, utime (<c>touch -d</c>) or replacement after s gets a ctime of at least s's tick, which is
/// later than K — so the content is the same. A file whose ctime is not that old ("hot": written around the copy,
/// where a write in K's tick after c is possible) gets an mtime after the copy instead, the newest of the run, and
/// Borg 1.2 never memorizes the newest (<see cref="FilesCacheModes"/>): it is read again next time.
/// Restored files therefore carry these mtimes, which PostgreSQL does not use.
/// </summary>
internal static partial class ReflinkCacheKeys
{
    /// <summary>
    /// How much older than the copy's start a ctime must be: far more than a timestamp tick (1–10 ms) and the gap
    /// between the coarse clock that stamps files and the clock read here, and than a small clock adjustment.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const long UtimeOmit = (1L << 30) - 2;

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Utimensat(int dirfd, string path, ReadOnlySpan<long> times, int flags);

    /// <summary>
    /// Sets the mtime of every regular file below <paramref name="copy"/> from its original below
    /// <paramref name="source"/>; <paramref name="copyStart"/> is when the copy began. Symlinks (pg_tblspc) are
    /// neither followed nor changed. Returns how many files got a key and how many were hot.
    /// </summary>
    public static (int Keyed, int Hot) Apply(string source, string copy, DateTimeOffset copyStart, CancellationToken ct)
    {
        var coldBefore = ToNanoseconds(copyStart - Margin);
        // strictly after every cold key and every copied mtime Borg sees in this run
        var hotMark = Math.Max(ToNanoseconds(DateTimeOffset.UtcNow), ToNanoseconds(copyStart) + 1);
        var files = new FileSystemEnumerable<string>(copy, (ref FileSystemEntry e) => e.ToFullPath(),
            new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && (e.Attributes & FileAttributes.ReparsePoint) == 0,
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };
        int keyed = 0, hot = 0;
        foreach (var copied in files)
        {
            ct.ThrowIfCancellationRequested();
            if (!IsRegular(copied, out _))
            {
                continue;
            }
            var original = Path.Join(source, Path.GetRelativePath(copy, copied));
            long key;
            if (IsRegular(original, out var ctime) && ctime < coldBefore)
            {
                key = ctime;
                keyed++;
            }
            else
            {
                // changed around the copy, replaced or gone: never a key Borg keeps
                key = hotMark;
                hot++;
            }
            SetMtime(copied, key);
        }
        return (keyed, hot);
    }

    private static long ToNanoseconds(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>Whether <paramref name="path"/> itself is a regular file, with its ctime in nanoseconds since the epoch.</summary>
    private static bool IsRegular(string path, out long ctimeNs)
    {
        var status = FileStatus.OfEntry(path);
        ctimeNs = status?.CtimeNanoseconds ?? 0;
        return status is { IsRegularFile: true };
    }

    private static void SetMtime(string path, long nanoseconds)
    {
        ReadOnlySpan<long> times = [0, UtimeOmit, nanoseconds / 1_000_000_000, nanoseconds % 1_000_000_000];
        if (Utimensat(AtFdCwd, path, times, AtSymlinkNoFollow) != 0)
        {
            throw new SnapshotException($"cannot set the modification time of {path} in the snapshot copy: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }
}
