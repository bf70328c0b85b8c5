using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Archiving;

/// <summary>
/// Builds the index entries of spooled WAL files at ingest (<see cref="WalSegmentIndex"/>): size and SHA-256 of every
/// file, and for segments the restore points and the first and last commit (or abort) records.
/// <para>
/// The records are read by the instance's own <c>pg_waldump</c>, which knows every version's record format: one run
/// per stretch of consecutive segments of one timeline, so a record crossing from one segment into the next is read
/// whole. pg_waldump stops cleanly at <c>--end</c>; it is set 64 KiB (the largest WAL page) into the segment after the
/// stretch when that file is spooled too, so a record crossing the stretch's end is read as well (one crossing into a
/// segment not spooled yet is not: a restore point or commit there is missed, as a gap in the index, not an error). pg_waldump prints no time for a
/// restore point, so its <c>rp_time</c> is read from the segment at the record's LSN (<see cref="WalRecordBytes"/>).
/// </para>
/// </summary>
public sealed partial class WalIndexer(PgInstance instance, ILogger log)
{
    private bool _missingReported;

    public async Task<Dictionary<string, WalSegmentIndex>> IndexAsync(string dir, IReadOnlyList<string> files, CancellationToken ct)
    {
        var found = new Dictionary<string, SegmentRecords>(StringComparer.Ordinal);
        var segments = files.Where(f => WalFileName.Classify(f) == WalFileKind.Segment).Order(StringComparer.Ordinal).ToList();
        if (segments.Count > 0)
        {
            var segmentSize = new FileInfo(Path.Combine(dir, segments[0])).Length;
            foreach (var stretch in Stretches(segments, segmentSize))
            {
                await ReadStretchAsync(dir, stretch, segmentSize, found, ct).ConfigureAwait(false);
            }
        }
        var index = new Dictionary<string, WalSegmentIndex>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            ct.ThrowIfCancellationRequested();
            var path = Path.Combine(dir, f);
            var (size, sha) = Checksum(path);
            index[f] = found.TryGetValue(f, out var r)
                ? new WalSegmentIndex(f, size, sha, r.Points.Count > 0 ? r.Points : null, r.First, r.Last, r.Unread)
                : new WalSegmentIndex(f, size, sha);
        }
        return index;
    }

    /// <summary>SHA-256 read as a stream (a segment is never held in memory).</summary>
    internal static (long Size, string Sha256) Checksum(string path)
    {
        using var stream = Processes.ForeignFile.OpenRead(path, 1 << 20);
        return (stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    /// <summary>Runs of consecutive segment numbers on one timeline (pg_waldump reads one timeline, without gaps).</summary>
    private static List<List<string>> Stretches(List<string> segments, long segmentSize)
    {
        var stretches = new List<List<string>>();
        foreach (var s in segments)
        {
            var last = stretches.Count > 0 ? stretches[^1][^1] : null;
            if (last is not null && WalFileName.Timeline(last) == WalFileName.Timeline(s)
                && WalFileName.SegmentNumber(last, segmentSize) + 1 == WalFileName.SegmentNumber(s, segmentSize))
            {
                stretches[^1].Add(s);
            }
            else
            {
                stretches.Add([s]);
            }
        }
        return stretches;
    }

    private sealed class SegmentRecords
    {
        public List<WalRestorePoint> Points { get; } = [];
        public WalCommit? First { get; set; }
        public WalCommit? Last { get; set; }
        public string? Unread { get; set; }
    }

    private async Task ReadStretchAsync(string dir, List<string> stretch, long segmentSize, Dictionary<string, SegmentRecords> found, CancellationToken ct)
    {
        var timeline = WalFileName.Timeline(stretch[0]);
        var firstSegment = WalFileName.SegmentNumber(stretch[0], segmentSize);
        var end = (WalFileName.SegmentNumber(stretch[^1], segmentSize) + 1) * (ulong)segmentSize;
        foreach (var s in stretch)
        {
            found[s] = new SegmentRecords();
        }
        var tool = instance.Tool("pg_waldump");
        if (!File.Exists(tool))
        {
            // an install without it (a server built from source without contrib tools): WAL is stored all the same,
            // unindexed, and restores say what they could not check
            foreach (var s in stretch)
            {
                found[s].Unread = $"{tool} does not exist";
            }
            if (!_missingReported)
            {
                _missingReported = true; // once per run: every batch would say the same
                Log.WalIndexerMissing(log, instance.Name, tool);
            }
            return;
        }
        var args = new List<string> { "--path", dir };
        if (File.Exists(Path.Combine(dir, WalFileName.Of(timeline, end / (ulong)segmentSize, segmentSize))))
        {
            // records starting before the stretch's end and crossing it are read from the next segment's first page(s)
            args.AddRange(["--end", WalFileName.FormatLsn(end + WalRecordBytes.MaxPageSize)]);
        }
        // PostgreSQL 15 and later filter by several resource managers; before, every record is printed and filtered here
        if (instance.MajorVersion >= 15)
        {
            args.AddRange(["--rmgr", "XLOG", "--rmgr", "Transaction"]);
        }
        args.AddRange([stretch[0], stretch[^1]]);
        var environment = instance.ChildEnvironment();
        environment["TZ"] = "UTC";
        // as the service user, whose files they are, but able to read them whoever owns them (root runs ingest)
        var spec = new ProcessSpec(tool, args)
        {
            Environment = environment, RunAs = instance.User, KeepReadAccess = true, WorkingDirectory = "/",
        };
        DateTimeOffset? lastTime = null;
        await using var child = ChildProcess.Start(spec, stdout: true);
        using (var reader = new StreamReader(child.StandardOutput, Encoding.UTF8))
        {
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (Parse(line) is not { } record || record.Lsn >= end)
                {
                    continue;
                }
                var segment = WalFileName.Of(timeline, record.Lsn / (ulong)segmentSize, segmentSize);
                if (!found.TryGetValue(segment, out var r))
                {
                    continue;
                }
                var lsn = WalFileName.FormatLsn(record.Lsn);
                if (record.CommitTime is { } time)
                {
                    var commit = new WalCommit(lsn, time);
                    r.First ??= commit;
                    r.Last = commit;
                    lastTime = time;
                }
                else
                {
                    var (name, pointTime) = WalRecordBytes.RestorePoint(dir, timeline, segmentSize, record.Lsn) ?? (record.PointName!, null);
                    // rp_time unreadable (a segment missing or damaged): the last commit before it is the nearest time known
                    r.Points.Add(new WalRestorePoint(name, lsn, pointTime ?? lastTime ?? File.GetLastWriteTimeUtc(Path.Combine(dir, segment)), timeline));
                }
            }
        }
        var exit = await child.WaitAsync(ct).ConfigureAwait(false);
        if (exit != 0)
        {
            // a damaged or cut segment: records before the error are indexed, the segments from it on are not
            var error = child.StderrTail.Trim();
            var at = ErrorLsn().Match(error) is { Success: true } m ? WalFileName.ParseLsn(m.Groups[1].Value) : firstSegment * (ulong)segmentSize;
            foreach (var s in stretch.Where(s => (WalFileName.SegmentNumber(s, segmentSize) + 1) * (ulong)segmentSize > at))
            {
                found[s].Unread = $"pg_waldump exited {exit}: {error.ReplaceLineEndings(" ")}";
            }
            Log.WalNotIndexed(log, instance.Name, stretch[0], stretch[^1], exit, error);
        }
    }

    private sealed record Record(ulong Lsn, DateTimeOffset? CommitTime, string? PointName);

    /// <summary>
    /// A commit, abort or restore point line of pg_waldump (the same in PostgreSQL 13 to 18):
    /// <c>rmgr: Transaction len (rec/tot): 34/ 34, tx: 735, lsn: 0/0155A588, prev 0/0155A550, desc: COMMIT 2026-12-06 09:00:00.123456 UTC</c>
    /// (also <c>COMMIT_PREPARED 5: ...</c>, <c>ABORT</c>, <c>ABORT_PREPARED</c>, followed by details after ';'), and
    /// <c>rmgr: XLOG ... desc: RESTORE_POINT name</c>.
    /// </summary>
    private static Record? Parse(string line)
    {
        var m = RecordLine().Match(line);
        if (!m.Success)
        {
            return null;
        }
        var lsn = WalFileName.ParseLsn(m.Groups["lsn"].Value);
        var desc = m.Groups["desc"].Value;
        if (m.Groups["rmgr"].Value == "XLOG")
        {
            return desc.StartsWith(RestorePointDesc, StringComparison.Ordinal) ? new Record(lsn, null, desc[RestorePointDesc.Length..]) : null;
        }
        if (!desc.StartsWith("COMMIT", StringComparison.Ordinal) && !desc.StartsWith("ABORT", StringComparison.Ordinal))
        {
            return null;
        }
        var t = CommitTime().Match(desc);
        return t.Success && DateTime.TryParseExact(t.Groups[1].Value, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? new Record(lsn, new DateTimeOffset(time, TimeSpan.Zero), null)
            : null;
    }

    private const string RestorePointDesc = "RESTORE_POINT ";

    [GeneratedRegex(@"^rmgr: (?<rmgr>XLOG|Transaction) .*?, lsn: (?<lsn>[0-9A-F]+/[0-9A-F]+), prev [0-9A-F]+/[0-9A-F]+, desc: (?<desc>.*)$")]
    private static partial Regex RecordLine();

    [GeneratedRegex(@"^[A-Z_]+(?: \d+:)? (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) UTC")]
    private static partial Regex CommitTime();

    [GeneratedRegex(@"error in WAL record at ([0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex ErrorLsn();
}
