using Microsoft.Extensions.Logging;
using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>
/// Freezes an instance's data directory and every tablespace for a base backup, with the configured method
/// (<c>auto</c>: btrfs if possible, else reflink, else direct), and releases all of it again.
/// </summary>
public static partial class SnapshotTaker
{
    public const string Auto = "auto";
    public const string Lvm = "lvm";

    /// <summary>Values the <c>snapshot</c> setting accepts.</summary>
    public static readonly IReadOnlyList<string> ConfigurableMethods = [Auto, BtrfsSnapshot.MethodName, ReflinkSnapshot.MethodName, DirectSnapshot.MethodName, Lvm];

    /// <summary>
    /// Snapshots the data directory with the configured method and each tablespace with the same method if it can
    /// (else reflink, else direct). The result's dispose releases everything; if any step fails, what was already
    /// made is released before the exception propagates.
    /// </summary>
    public static async Task<Snapshot> TakeAsync(string configuredMethod, SnapshotSource source, ILogger log, CancellationToken ct)
    {
        SnapshotNames.RequireStamp(source.Stamp);
        var dataDirectory = DirectoryPaths.Resolve(source.DataDirectory, "data directory");
        var (method, reason) = await ChooseAsync(configuredMethod, dataDirectory, log, ct).ConfigureAwait(false);
        Log.SnapshotMethodChosen(log, dataDirectory, method.Name, reason);

        var made = new List<(ISnapshotMethod Method, string Path)>();
        try
        {
            var dataPath = await method.SnapshotAsync(dataDirectory, ct).ConfigureAwait(false);
            made.Add((method, dataPath));
            var tablespacePaths = new Dictionary<uint, string>();
            var tablespaceFilesCache = new Dictionary<uint, string?>();
            foreach (var tablespace in source.Tablespaces)
            {
                ct.ThrowIfCancellationRequested();
                var (path, tablespaceMethod) = await SnapshotTablespaceAsync(tablespace, method, dataDirectory, dataPath, made, log, ct).ConfigureAwait(false);
                tablespacePaths[tablespace.Oid] = path;
                tablespaceFilesCache[tablespace.Oid] = tablespaceMethod.FilesCacheMode;
            }
            Log.SnapshotReady(log, source.Stamp, dataPath, tablespacePaths.Count);
            return new Snapshot(method.Name, dataPath, tablespacePaths, () => ReleaseAllAsync(made, log), method.FilesCacheMode, tablespaceFilesCache);
        }
        catch (Exception failure)
        {
            Log.SnapshotFailed(log, source.Stamp, made.Count, failure.Message);
            await ReleaseAllAsync(made, log, rethrow: false).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<(string Path, ISnapshotMethod Method)> SnapshotTablespaceAsync(TablespaceLocation tablespace, ISnapshotMethod dataMethod,
        string dataDirectory, string dataPath, List<(ISnapshotMethod Method, string Path)> made, ILogger log, CancellationToken ct)
    {
        var directory = DirectoryPaths.Resolve(tablespace.Path, $"tablespace {tablespace.Oid}");
        var inside = Path.GetRelativePath(dataDirectory, directory);
        if (dataMethod.Name != DirectSnapshot.MethodName && inside != ".." && !inside.StartsWith("../", StringComparison.Ordinal) && !Path.IsPathRooted(inside))
        {
            // PostgreSQL warns about it but allows it: already frozen with the data directory
            Log.TablespaceInsideDataDirectory(log, tablespace.Oid, directory);
            return (Path.Combine(dataPath, inside), dataMethod);
        }
        var method = await ChooseForTablespaceAsync(dataMethod, directory, tablespace.Oid, log, ct).ConfigureAwait(false);
        var path = await method.SnapshotAsync(directory, ct).ConfigureAwait(false);
        made.Add((method, path));
        return (path, method);
    }

    /// <summary>The data directory's method if it works for this tablespace, else the next one down (btrfs → reflink → direct).</summary>
    private static async Task<ISnapshotMethod> ChooseForTablespaceAsync(ISnapshotMethod dataMethod, string directory, uint oid, ILogger log, CancellationToken ct)
    {
        var whyNot = new List<string>();
        foreach (var candidate in FallbackChain(dataMethod.Name, log))
        {
            var availability = await candidate.CheckAsync(directory, ct).ConfigureAwait(false);
            if (availability.Possible)
            {
                if (whyNot.Count == 0)
                {
                    Log.TablespaceSnapshotMethod(log, oid, directory, candidate.Name, availability.Reason);
                }
                else
                {
                    Log.TablespaceSnapshotFallback(log, oid, directory, candidate.Name, dataMethod.Name, string.Join("; ", whyNot), availability.Reason);
                }
                return candidate;
            }
            whyNot.Add($"{candidate.Name}: {availability.Reason}");
        }
        throw new SnapshotException($"no snapshot method works for tablespace {oid} at {directory}: {string.Join("; ", whyNot)}");
    }

    private static IEnumerable<ISnapshotMethod> FallbackChain(string from, ILogger log)
    {
        ISnapshotMethod[] all = [new BtrfsSnapshot(), new ReflinkSnapshot(log), new DirectSnapshot()];
        return all.SkipWhile(m => m.Name != from);
    }

    /// <summary>Releases in reverse order, each one even if an earlier one failed. Throws at the end unless <paramref name="rethrow"/> is false (then only logs).</summary>
    private static async Task ReleaseAllAsync(List<(ISnapshotMethod Method, string Path)> made, ILogger log, bool rethrow = true)
    {
        var failures = new List<string>();
        for (var i = made.Count - 1; i >= 0; i--)
        {
            var (method, path) = made[i];
            try
            {
                await method.ReleaseAsync(path, CancellationToken.None).ConfigureAwait(false);
                if (method.Name != DirectSnapshot.MethodName)
                {
                    Log.SnapshotReleased(log, method.Name, path);
                }
            }
            catch (Exception e) when (e is SnapshotException or ProcessFailedException or IOException or UnauthorizedAccessException)
            {
                Log.SnapshotNotReleased(log, method.Name, path, e.Message);
                failures.Add(e.Message);
            }
        }
        made.Clear();
        if (rethrow && failures.Count > 0)
        {
            throw new SnapshotException(string.Join("; ", failures));
        }
    }
}
