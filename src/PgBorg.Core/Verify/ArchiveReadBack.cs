using Microsoft.Extensions.Logging;
using PgBorg.Archiving;
using PgBorg.Borg;

namespace PgBorg.Verify;

/// <summary>
/// <c>pgborg verify --data</c>: reads every archive of every kept cycle back from its repository
/// (<see cref="BorgRepository.ReadBackAsync"/>); one that Borg cannot read whole is a problem naming the cycle and,
/// for WAL, the range of files it holds.
/// </summary>
public static class ArchiveReadBack
{
    /// <returns>How many archives were read.</returns>
    public static async Task<int> RunAsync(ArchiveRepositories repos, string instance, IReadOnlyList<StoredCycle> cycles, VerifyFindings findings, ILogger log,
        CancellationToken ct)
    {
        var work = cycles.SelectMany(c => c.ArchiveRepositoryArchives.Select(a => (Cycle: c, Archive: a, Repo: repos.Archive))
            .Concat(c.WalRepositoryArchives.Select(a => (Cycle: c, Archive: a, Repo: repos.Wal)))).ToList();
        Log.VerifyReadingBack(log, instance, work.Count);
        foreach (var (cycle, archive, repo) in work)
        {
            try
            {
                await repo.ReadBackAsync(archive, ct).ConfigureAwait(false);
            }
            catch (BorgException e) when (!e.IsLockTimeout)
            {
                var reason = $"unreadable ({archive}): {e.Message.Split('\n')[0]}";
                var files = cycle.WalBatches.FirstOrDefault(w => w.Archive == archive)?.Files;
                findings.Problems.Add(files is { Count: > 0 }
                    ? VerifyProblem.Wal(cycle.Stamp, files[0], files[^1], reason)
                    : VerifyProblem.Of(cycle.Stamp, "archive " + reason));
            }
        }
        return work.Count;
    }
}
