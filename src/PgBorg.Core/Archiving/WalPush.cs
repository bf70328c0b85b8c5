using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Archiving;

/// <summary>
/// <c>archive_command = 'pgborg wal-push %p'</c>: stores one file durably in every active spool of the instance
/// whose <c>pg_wal</c> holds it. For each spool: write a temporary name, fsync it, rename it into place without
/// overwriting, fsync the directory. A file already there with identical content is success once it and the directory
/// are fsynced again; different content is
/// an error (never overwrite, <c>.history</c> files above all). No active spool is an error, so PostgreSQL keeps the
/// WAL and retries. Needs no configuration file: PostgreSQL runs it in the data directory as the service user.
/// With spool_max_size set (<see cref="SpoolLimit"/>), a segment that would take the spools past it is dropped and
/// acknowledged, so PostgreSQL does not fill its own disk; timeline history files, a few bytes each, are always stored.
/// </summary>
public static class WalPush
{
    public static int Run(string path, TextWriter error)
    {
        try
        {
            if (Push(path) is { } dropped)
            {
                error.WriteLine($"pgborg wal-push: {dropped}");
            }
            return 0;
        }
        catch (IOException e) when (e.HResult == NoSpaceLeft)
        {
            var room = e is SpoolRoomException r ? $" ({r.Message})" : "";
            error.WriteLine($"pgborg wal-push: no space left on device (ENOSPC) storing {Path.GetFileName(path)} in the spool{room}; PostgreSQL keeps the file and retries");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or WalPushException)
        {
            error.WriteLine($"pgborg wal-push: {e.Message}");
            return 1;
        }
    }

    /// <summary>ENOSPC: .NET gives the errno as the IOException's HResult on Linux.</summary>
    internal const int NoSpaceLeft = 28;

    /// <summary>Stores the file; returns null, or what was dropped (spool_max_size reached) for PostgreSQL's log.</summary>
    public static string? Push(string path)
    {
        var source = Path.GetFullPath(path);
        var dataDirectory = DataDirectoryOf(source);
        var version = InstanceCatalog.ReadVersion(dataDirectory);
        WalFileCheck.Check(source, version, WalFileCheck.ReadSystemIdentifier(dataDirectory), Path.Combine(dataDirectory, "pg_wal"));
        var spools = SpoolDirectory.ActiveCycles(dataDirectory);
        if (spools.Count == 0)
        {
            throw new WalPushException($"no active spool in {SpoolDirectory.RootFor(dataDirectory)} for {Path.GetFileName(source)}: is pgcad running for this instance? PostgreSQL keeps the file and retries");
        }
        var name = Path.GetFileName(source);
        // a retry of a file every spool already holds is no new WAL: it is confirmed, never dropped
        if (SpoolLimit.Read(dataDirectory) is { } limit && WalFileName.Classify(name) != WalFileKind.History
            && !spools.All(c => File.Exists(Path.Combine(SpoolDirectory.CycleDirectory(dataDirectory, c), name))))
        {
            var usage = SpoolLimit.Usage(dataDirectory);
            if (usage + new FileInfo(source).Length > limit)
            {
                return Drop(dataDirectory, spools, name, usage, limit);
            }
        }
        var stored = 0;
        foreach (var cycle in spools)
        {
            var dir = SpoolDirectory.CycleDirectory(dataDirectory, cycle);
            try
            {
                Store(source, dir);
                stored++;
            }
            catch (DirectoryNotFoundException) when (!Directory.Exists(dir) || SpoolDirectory.IsClosing(dataDirectory, cycle))
            {
                // retired by pgcad while we were writing: the newer spools hold the file
            }
        }
        if (stored == 0)
        {
            throw new WalPushException($"every spool of {dataDirectory} was retired while storing {Path.GetFileName(source)}; PostgreSQL retries");
        }
        return null;
    }

    /// <summary>spool_max_size reached: every active spool records the gap, and PostgreSQL is told the file is archived.</summary>
    private static string Drop(string dataDirectory, IReadOnlyList<string> spools, string name, long usage, long limit)
    {
        foreach (var cycle in spools)
        {
            SpoolLimit.MarkDropped(dataDirectory, cycle, name);
        }
        var first = SpoolLimit.DroppedFrom(dataDirectory, spools[^1]) ?? name;
        return $"spool_max_size ({limit} bytes) reached with {usage} bytes spooled: DROPPED {name} and told PostgreSQL it is archived; " +
            $"cycle {spools[^1]} cannot be restored past {first} (pgcad starts a new cycle once the repository takes WAL again)";
    }

    /// <summary>PostgreSQL passes <c>pg_wal/NAME</c> relative to the data directory; a manual call may pass an absolute path.</summary>
    private static string DataDirectoryOf(string source)
    {
        var dir = Path.GetDirectoryName(source) ?? "/";
        if (Path.GetFileName(dir) == "pg_wal")
        {
            return PathIdentity.Resolve(Path.GetDirectoryName(dir) ?? "/");
        }
        return Directory.GetCurrentDirectory();
    }

    private static void Store(string source, string spool)
    {
        var name = Path.GetFileName(source);
        var target = Path.Combine(spool, name);
        if (File.Exists(target))
        {
            EnsureSameAndDurable(source, target, spool);
            return;
        }
        var temp = Path.Combine(spool, $".{name}.tmp.{Environment.ProcessId}");
        try
        {
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                // the spool shares the data directory's filesystem: a copy may never take PostgreSQL's last free bytes,
                // not even for the moment a copy (or an allocation, which ext4 makes in part before it fails) takes
                SpoolRoomException.ThrowIfShort(spool, input.Length);
                Native.Reserve(output.SafeFileHandle, input.Length);
                input.CopyTo(output, 1 << 20);
                output.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, target, overwrite: false);
            }
            catch (IOException) when (File.Exists(target))
            {
                EnsureSameAndDurable(source, target, spool); // another wal-push of the same file got there first
                return;
            }
            Durability.FsyncDirectory(spool);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// The file is there already: success only if it holds the same bytes, and only once they are durable. The call
    /// that put it there may have died between its rename and its directory fsync, so both are synced again here
    /// before PostgreSQL is told it may recycle its copy.
    /// </summary>
    private static void EnsureSameAndDurable(string source, string target, string spool)
    {
        if (!SameContent(source, target))
        {
            throw new WalPushException($"{target} already exists with different content; refusing to overwrite it (two clusters archiving into one spool, or a timeline clash?)");
        }
        using (var stored = new FileStream(target, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1))
        {
            stored.Flush(flushToDisk: true);
        }
        Durability.FsyncDirectory(spool);
    }

    private static bool SameContent(string a, string b)
    {
        using var fa = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        using var fb = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        if (fa.Length != fb.Length)
        {
            return false;
        }
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        int n;
        while ((n = fa.Read(ba)) > 0)
        {
            fb.ReadExactly(bb.AsSpan(0, n));
            if (!ba.AsSpan(0, n).SequenceEqual(bb.AsSpan(0, n)))
            {
                return false;
            }
        }
        return true;
    }
}

public sealed class WalPushException(string message) : Exception(message);

