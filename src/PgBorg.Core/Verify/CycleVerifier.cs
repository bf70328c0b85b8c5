using System.Globalization;
using PgBorg.Archiving;
using PgBorg.Naming;

namespace PgBorg.Verify;

/// <summary>
/// <c>pgborg verify</c>'s checks from archive names and comments alone: every kept cycle has its base and every
/// tablespace archive, continuous WAL (<see cref="WalContinuity"/>) and consistent copies (<see cref="WalCopies"/>).
/// </summary>
public static class CycleVerifier
{
    public static VerifyFindings Check(IReadOnlyList<StoredCycle> cycles)
    {
        var findings = new VerifyFindings();
        var ordered = cycles.OrderBy(c => c.Stamp, StringComparer.Ordinal).ToList();
        var complete = ordered.Where(c => c.IsComplete).ToList();
        if (complete.Count == 0)
        {
            findings.Problems.Add(VerifyProblem.Of("-",
                ordered.Count == 0 ? "the archive holds no cycle of this instance" : "no cycle has a complete base backup"));
        }
        foreach (var cycle in ordered)
        {
            var newest = ReferenceEquals(cycle, ordered[^1]);
            foreach (var batch in cycle.WalBatches.Where(w => w.Metadata is null))
            {
                findings.Notes.Add($"cycle {cycle.Stamp}: WAL archive {batch.Archive} has no readable metadata: its files are not counted");
            }
            if (cycle.BaseArchive is null)
            {
                if (newest)
                {
                    findings.Notes.Add($"cycle {cycle.Stamp}: no base yet (its base backup is in progress)");
                }
                else if (complete.Count > 0 && string.CompareOrdinal(cycle.Stamp, complete[0].Stamp) < 0)
                {
                    findings.Notes.Add($"cycle {cycle.Stamp}: WAL without a base, older than every complete cycle "
                        + "(left by an interrupted expiry; the next one deletes it)");
                }
                else if (LeftoverCycles.WalHeldByNeighbour(cycle, ordered))
                {
                    // a failed base whose clean-up was cut short: nothing of it is needed, pgcad's next round deletes it
                    var archives = cycle.ArchiveRepositoryArchives.Count() + cycle.WalRepositoryArchives.Count();
                    findings.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                        $"cycle {cycle.Stamp}: leftover of a failed base, {archives} archive(s) whose WAL a complete cycle also holds (pgcad deletes them)"));
                }
                else
                {
                    findings.Problems.Add(VerifyProblem.Of(cycle.Stamp, "base archive missing"));
                }
                continue;
            }
            if (cycle.Base is null)
            {
                findings.Problems.Add(VerifyProblem.Of(cycle.Stamp, $"base archive {cycle.BaseArchive} has no readable metadata"));
                continue;
            }
            if (!cycle.Base.Complete)
            {
                findings.Notes.Add(newest
                    ? $"cycle {cycle.Stamp}: base not complete yet (waiting for the WAL that makes it consistent)"
                    : $"cycle {cycle.Stamp}: base never completed (a failed start, deleted by expiry)");
                continue;
            }
            CheckTablespaces(cycle, findings);
            var next = complete.FirstOrDefault(c => string.CompareOrdinal(c.Stamp, cycle.Stamp) > 0);
            WalContinuity.Check(cycle, next?.Base!.StopWalFile, findings);
        }
        WalCopies.Check(ordered, findings);
        return findings;
    }

    private static void CheckTablespaces(StoredCycle cycle, VerifyFindings findings)
    {
        var stored = cycle.TablespaceArchives.Select(a => ArchiveName.TryParse(a, out var n) && n.Fields.Count == 1 ? n.Fields[0] : null)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var ts in cycle.Base!.Tablespaces.Where(t => !stored.Contains(t.Oid.ToString(CultureInfo.InvariantCulture))))
        {
            findings.Problems.Add(VerifyProblem.Of(cycle.Stamp, string.Create(CultureInfo.InvariantCulture, $"tablespace {ts.Oid} ({ts.Path}) archive missing")));
        }
    }
}
