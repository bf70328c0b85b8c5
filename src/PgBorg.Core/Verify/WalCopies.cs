using System.Globalization;
using PgBorg.Archiving;

namespace PgBorg.Verify;

/// <summary>
/// Checks what ingest recorded of each stored WAL file (<see cref="WalSegmentIndex"/>): a segment's size is the
/// cluster's WAL segment size, and a file stored more than once (in overlapping cycles, or in a consolidated archive
/// beside the batches it replaces) has the same SHA-256 in every copy. Copies stored before the index existed
/// cannot be compared: that is a note, not a problem.
/// </summary>
public static class WalCopies
{
    private sealed record Copy(string Cycle, string Archive, WalSegmentIndex? Index);

    public static void Check(IReadOnlyList<StoredCycle> cycles, VerifyFindings findings)
    {
        var copies = new Dictionary<string, List<Copy>>(StringComparer.Ordinal);
        var unindexed = 0;
        foreach (var cycle in cycles)
        {
            foreach (var batch in cycle.WalBatches)
            {
                var index = (batch.Metadata?.Segments ?? []).GroupBy(s => s.File, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
                foreach (var file in batch.Files)
                {
                    var entry = index.GetValueOrDefault(file);
                    unindexed += entry is null ? 1 : 0;
                    CheckSize(cycle, batch, file, entry, findings);
                    (copies.TryGetValue(file, out var list) ? list : copies[file] = []).Add(new Copy(cycle.Stamp, batch.Archive, entry));
                }
            }
        }
        var uncompared = 0;
        foreach (var (file, list) in copies.Where(c => c.Value.Count > 1).OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            // the first copy in cycle and archive order is the reference, so a report names the same one every time
            var indexed = list.Where(c => c.Index is not null).OrderBy(c => c.Cycle, StringComparer.Ordinal).ThenBy(c => c.Archive, StringComparer.Ordinal).ToList();
            uncompared += indexed.Count < list.Count ? 1 : 0;
            foreach (var other in indexed.Skip(1).Where(c => !string.Equals(c.Index!.Sha256, indexed[0].Index!.Sha256, StringComparison.OrdinalIgnoreCase)))
            {
                findings.Problems.Add(VerifyProblem.Wal(other.Cycle, file, file,
                    $"stored twice with different content: SHA-256 {Short(indexed[0].Index!.Sha256)} in {indexed[0].Archive} (cycle {indexed[0].Cycle}), "
                    + $"{Short(other.Index!.Sha256)} in {other.Archive}"));
            }
        }
        if (unindexed > 0)
        {
            findings.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{unindexed} stored WAL file(s) have no recorded size and checksum (stored before ingest recorded them): their sizes and copies are not checked"));
        }
        if (uncompared > 0)
        {
            findings.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{uncompared} WAL file(s) stored more than once have a copy without a recorded checksum: those copies are not checked"));
        }
    }

    private static void CheckSize(StoredCycle cycle, WalBatch batch, string file, WalSegmentIndex? entry, VerifyFindings findings)
    {
        if (entry is null || cycle.Base is not { } b || WalFileName.Classify(file) is not (WalFileKind.Segment or WalFileKind.PartialSegment)
            || entry.Size == b.WalSegmentSize)
        {
            return;
        }
        findings.Problems.Add(VerifyProblem.Wal(cycle.Stamp, file, file,
            string.Create(CultureInfo.InvariantCulture, $"is {entry.Size} bytes in {batch.Archive}, not the WAL segment size {b.WalSegmentSize}")));
    }

    private static string Short(string sha256) => sha256.Length > 12 ? sha256[..12] : sha256;
}
