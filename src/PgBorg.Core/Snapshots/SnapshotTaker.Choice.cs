using Microsoft.Extensions.Logging;

namespace PgBorg.Snapshots;

public static partial class SnapshotTaker
{
    /// <summary>The method for the data directory and why: the configured one if it works here (else an error saying why), or the best for <c>auto</c>.</summary>
    public static async Task<(ISnapshotMethod Method, string Reason)> ChooseAsync(string configuredMethod, string dataDirectory, ILogger log, CancellationToken ct)
    {
        var configured = configuredMethod.Trim().ToLowerInvariant();
        var directory = DirectoryPaths.Resolve(dataDirectory, "data directory");
        ISnapshotMethod btrfs = new BtrfsSnapshot(), reflink = new ReflinkSnapshot(log), direct = new DirectSnapshot();
        switch (configured)
        {
            case Auto:
                var whyNot = new List<string>();
                foreach (var candidate in new[] { btrfs, reflink, direct })
                {
                    var availability = await candidate.CheckAsync(directory, ct).ConfigureAwait(false);
                    if (availability.Possible)
                    {
                        var reason = whyNot.Count == 0 ? availability.Reason : $"{availability.Reason}; not {string.Join(", not ", whyNot)}";
                        return (candidate, $"auto: {reason}");
                    }
                    whyNot.Add($"{candidate.Name}: {availability.Reason}");
                }
                throw new SnapshotException($"no snapshot method works for {directory}");
            case Lvm:
                throw new SnapshotException("snapshot = \"lvm\" is not supported in this version: use auto, btrfs, reflink or direct");
            case BtrfsSnapshot.MethodName or ReflinkSnapshot.MethodName or DirectSnapshot.MethodName:
                var chosen = configured switch
                {
                    BtrfsSnapshot.MethodName => btrfs,
                    ReflinkSnapshot.MethodName => reflink,
                    _ => direct,
                };
                var check = await chosen.CheckAsync(directory, ct).ConfigureAwait(false);
                if (check.Possible)
                {
                    return (chosen, $"configured: {check.Reason}");
                }
                var alternatives = new List<string>();
                foreach (var other in new[] { btrfs, reflink, direct }.Where(m => m != chosen))
                {
                    if ((await other.CheckAsync(directory, ct).ConfigureAwait(false)).Possible)
                    {
                        alternatives.Add(other.Name);
                    }
                }
                throw new SnapshotException($"snapshot = \"{chosen.Name}\" but {check.Reason}: use {string.Join(" or ", alternatives)}");
            default:
                throw new SnapshotException($"unknown snapshot method \"{configuredMethod}\": use auto, btrfs, reflink, direct (lvm is not supported yet)");
        }
    }
}
