using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Naming;

namespace PgBorg.Archiving;

/// <summary>An instance's two archiving repositories, opened one way everywhere: bases in one, WAL in the other.</summary>
public sealed record ArchiveRepositories(BorgRepository Archive, BorgRepository Wal)
{
    public static ArchiveRepositories Open(ArchiveSettings settings, string stateDirectory, ILogger log) =>
        new(new BorgRepository(settings.Repository, stateDirectory, log), new BorgRepository(settings.WalRepository, stateDirectory, log));

    /// <summary>wal_repository names the archive repository itself (allowed; then WAL waits for bases again).</summary>
    public bool Shared => Archive.Location == Wal.Location;

    /// <summary>
    /// The instance's cycles for a restore, reading what a choice needs: the archive repository with comments (bases,
    /// tablespaces, restore points and WAL from before WAL had its own repository: few archives), the WAL repository's
    /// names (from the manifest alone), and the comments of the WAL archives of the one cycle <paramref name="choose"/>
    /// picks from the bases. Also returns the archive repository's listing (for the restore points).
    /// When <paramref name="allWalComments"/> says so (given that listing), the comments of every WAL archive of the
    /// instance are read instead: the WAL index, for targets and reports that need it.
    /// </summary>
    public async Task<(IReadOnlyList<StoredCycle> Cycles, IReadOnlyList<BorgArchiveEntry> Archives)> CyclesForAsync(string host, string instance,
        Func<IReadOnlyList<StoredCycle>, IReadOnlyList<BorgArchiveEntry>, StoredCycle> choose, CancellationToken ct,
        Func<IReadOnlyList<BorgArchiveEntry>, bool>? allWalComments = null)
    {
        var glob = ArchiveName.InstanceGlob(host, instance);
        if (Shared)
        {
            var all = await Archive.ListAsync(glob, ct).ConfigureAwait(false);
            return (CycleCatalog.Build([], all, host, instance, basesFromWalListing: true), all);
        }
        // the WAL repository's names are read while the archive repository is: each listing is a Borg process of its
        // own, most of it Python starting (0.3 s here), and a restore waits for both. Where every comment turns out to
        // be needed (a time target, info), the comment cache starts from these names; below its threshold one listing
        // with every comment follows, and these names were read for nothing.
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var listing = StopOtherOnFailure(Archive.ListAsync(glob, both.Token), both);
        var walNames = StopOtherOnFailure(CycleCatalog.ListWalAsync(Wal, glob, both.Token, comments: false), both);
        // a listing stopped by the other's failure ends cancelled, not faulted: the failure is what is thrown here
        await Task.WhenAll(listing, walNames).ConfigureAwait(false);
        var archives = await listing.ConfigureAwait(false);
        var names = await walNames.ConfigureAwait(false);
        if (allWalComments?.Invoke(archives) == true)
        {
            var all = await CycleCatalog.ListWalAsync(Wal, glob, ct, names: names).ConfigureAwait(false);
            return (CycleCatalog.Build(archives, all, host, instance), archives);
        }
        var chosen = choose(CycleCatalog.Build(archives, names, host, instance), archives);
        var wal = await WithWalCommentsAsync(glob, names, [chosen.Stamp], ct).ConfigureAwait(false);
        return (CycleCatalog.Build(archives, wal, host, instance), archives);
    }

    /// <summary>The listing's result; when it fails, the other listing (a Borg process waiting for a lock, say) is stopped.</summary>
    private static async Task<T> StopOtherOnFailure<T>(Task<T> listing, CancellationTokenSource both)
    {
        try
        {
            return await listing.ConfigureAwait(false);
        }
        catch
        {
            await both.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A names-only listing of the WAL repository (the manifest alone) with the comments of <paramref name="cycles"/>'
    /// WAL archives filled in, where reading every comment would cost Borg 0.1 ms per archive of the repository
    /// (BORG.md, "At scale"). Comments read before come from the cache, the others from the newest archives or else
    /// from one <c>borg list</c> per cycle, each reading only the archives its glob selects
    /// (<see cref="BorgRepository.WithCommentsAsync"/>).
    /// </summary>
    /// <param name="considerCheckpoints">As <paramref name="names"/> was listed.</param>
    public async Task<IReadOnlyList<BorgArchiveEntry>> WithWalCommentsAsync(string instanceGlob, IReadOnlyList<BorgArchiveEntry> names,
        IEnumerable<string> cycles, CancellationToken ct, bool considerCheckpoints = false)
    {
        var stamps = cycles.ToHashSet(StringComparer.Ordinal);
        var wanted = names.Where(a => ArchiveName.TryParse(a.Name, out var n) && n.Kind == ArchiveName.WalKind && stamps.Contains(n.Cycle));
        return await Wal.WithCommentsAsync(instanceGlob, considerCheckpoints, names, wanted, async token =>
        {
            var read = new List<BorgArchiveEntry>();
            foreach (var stamp in stamps)
            {
                var cycleGlob = $"{instanceGlob}{ArchiveName.Separator}{ArchiveName.WalKind}{ArchiveName.Separator}*{ArchiveName.Separator}{stamp}";
                var cycle = await CycleCatalog.ListWalAsync(Wal, cycleGlob, token, considerCheckpoints, cacheComments: false).ConfigureAwait(false);
                read.AddRange(cycle);
            }
            return read;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The instance's cycles from both repositories (a WAL repository that does not exist yet holds none).</summary>
    public Task<IReadOnlyList<StoredCycle>> CyclesAsync(string host, string instance, CancellationToken ct) =>
        CycleCatalog.ReadAsync(this, host, instance, ct);
}
