using System.Security.Cryptography;
using System.Text.Json;
using PgBorg.Archiving;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// pgborg verify on one archived cluster (a tablespace, two overlapping cycles), damaged one way after another: a
/// copy of a segment with other content, a deleted history file, a deleted WAL archive, a deleted tablespace archive.
/// Each is one exact line and exit 1; the healthy archive exits 0 and passes the restore test, the damaged one fails it.
/// </summary>
public sealed class VerifyTests : IDisposable
{
    private const long SegmentSize = 16 * 1024 * 1024;
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact(Timeout = 900_000)]
    public async Task Each_kind_of_damage_is_one_line_and_exit_1_and_the_restore_test_passes_only_on_the_healthy_archive()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        var (location, oid) = await cluster.CreateTablespaceAsync("ts", "ts");
        await cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text) TABLESPACE ts");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster));
        await OnceAsync();
        await cluster.SqlAsync("INSERT INTO t SELECT g, 'first cycle' FROM generate_series(1, 1000) g");
        await cluster.SwitchAndWaitArchivedAsync();
        await OnceAsync();
        // the first cycle's batches become one archive when its spool is retired; the second's stay one per round,
        // so it has WAL archives between its first and its last
        await OnceAsync("--new-cycle");
        for (var i = 1; i <= 2; i++)
        {
            await cluster.SqlAsync($"INSERT INTO t SELECT g, 'round {i}' FROM generate_series({i * 1000 + 1}, {i * 1000 + 1000}) g");
            await cluster.SwitchAndWaitArchivedAsync();
            await OnceAsync();
        }
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        Assert.Equal(2, cycles.Count);
        var (c1, c2) = (cycles[0].Stamp, cycles[1].Stamp);
        var wal = await new ArchiveInspector(_sandbox).WalArchivesAsync();
        var host = wal[0].Name.Split('~')[0];

        var healthy = await VerifyAsync();
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        Assert.StartsWith("verify main: 2 cycle(s), all holds (", Lines(healthy)[^1]);
        var read = await VerifyAsync("--data");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Matches(@"^verify main: 2 cycle\(s\), \d+ archive\(s\) read back, all holds \(", Lines(read)[^1]);
        var json = JsonDocument.Parse((await VerifyAsync("--json")).Stdout).RootElement;
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal([c1, c2], json.GetProperty("instances")[0].GetProperty("cycles").EnumerateArray().Select(e => e.GetString()));

        var scratch = _sandbox.Sub("scratch");
        Directory.CreateDirectory(scratch);
        var restored = await VerifyAsync("--restore", "--scratch-dir", scratch);
        Assert.True(restored.ExitCode == 0, restored.ToString());
        var passed = Assert.Single(Lines(restored), l => l.StartsWith($"cycle {c2}: restore test passed: restored in ", StringComparison.Ordinal));
        Assert.Matches(@"WAL replayed in \d+\.\d s to LSN [0-9A-F]+/[0-9A-F]+, last transaction \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; pg_amcheck found no corruption in 2 database\(s\)$", passed);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));

        // a segment stored in both cycles, stored once more with one byte changed: the copies' checksums differ
        var shared = wal.Where(w => w.Cycle == c1).SelectMany(w => w.Files).Intersect(wal.Where(w => w.Cycle == c2).SelectMany(w => w.Files))
            .Where(f => WalFileName.Classify(f) == WalFileKind.Segment).Order(StringComparer.Ordinal).First();
        using var work = new TempDir("pgborg-verify-copies");
        var source = wal.First(w => w.Cycle == c2 && w.Files.Contains(shared)).Name;
        Assert.Equal(0, (await _sandbox.WalBorgInAsync(work.Path, "extract", "::" + source, shared)).ExitCode);
        var content = await File.ReadAllBytesAsync(work.Sub(shared));
        var same = await StoreCopyAsync(work, host, c2, shared, content, "copy-a");
        content[content.Length / 2] ^= 0xFF;
        var other = await StoreCopyAsync(work, host, c2, shared, content, "copy-b");
        var differing = await VerifyAsync();
        Assert.Equal(1, differing.ExitCode);
        var line = Assert.Single(ProblemLines(differing));
        Assert.StartsWith($"cycle {c2}: WAL {shared}-{shared} stored twice with different content: SHA-256 {same.Sha[..12]} in ", line);
        Assert.EndsWith($", {other.Sha[..12]} in {other.Archive}", line);
        await DeleteWalAsync(same.Archive, other.Archive);

        // a promotion's first segment on timeline 2 needs 00000002.history in the cycle
        var last = wal.Where(w => w.Cycle == c2).SelectMany(w => w.Files).Where(f => WalFileName.Classify(f) == WalFileKind.Segment).Max(StringComparer.Ordinal)!;
        var next = WalFileName.Of(2, WalFileName.SegmentNumber(last, SegmentSize) + 1, SegmentSize);
        var segment = await StoreCopyAsync(work, host, c2, next, new byte[SegmentSize], next);
        var history = await StoreCopyAsync(work, host, c2, "00000002.history",
            System.Text.Encoding.ASCII.GetBytes($"1\t{WalFileName.FormatLsn((WalFileName.SegmentNumber(next, SegmentSize)) * SegmentSize)}\tno recovery target specified\n"), "00000002.history");
        Assert.Equal(0, (await VerifyAsync()).ExitCode);
        await DeleteWalAsync(history.Archive);
        var noHistory = await VerifyAsync();
        Assert.Equal(1, noHistory.ExitCode);
        Assert.Equal([$"cycle {c2}: WAL {next}-{next} is on timeline 2, whose history file 00000002.history is missing"], ProblemLines(noHistory));
        await DeleteWalAsync(segment.Archive);

        // a WAL archive of the second cycle between its first and its last, of WAL archived after the first cycle ended
        var secondCycle = wal.Where(w => w.Cycle == c2).OrderBy(w => w.Files.Min(StringComparer.Ordinal), StringComparer.Ordinal).ToList();
        Assert.True(secondCycle.Count >= 3, string.Join(", ", secondCycle.Select(w => w.Name)));
        var deleted = secondCycle[^2];
        var segments = deleted.Files.Where(f => WalFileName.Classify(f) == WalFileKind.Segment).Order(StringComparer.Ordinal).ToList();
        Assert.DoesNotContain(wal.Where(w => w.Name != deleted.Name).SelectMany(w => w.Files), segments.Contains);

        // that archive stored again with one segment zeroed, names and comment unchanged: the metadata holds, but
        // PostgreSQL takes the segment for the end of the WAL and would open an earlier state; the restore test says so
        var corrupt = Directory.CreateDirectory(work.Sub("corrupt")).FullName;
        Assert.Equal(0, (await _sandbox.WalBorgInAsync(corrupt, "extract", "::" + deleted.Name)).ExitCode);
        var comment = (await new ArchiveInspector(_sandbox).ArchivesAsync()).Single(a => a.Name == deleted.Name).Comment;
        await File.WriteAllBytesAsync(Path.Combine(corrupt, segments[0]), new byte[SegmentSize]);
        await DeleteWalAsync(deleted.Name);
        var stored = await _sandbox.WalBorgInAsync(corrupt, ["create", "--comment", comment.Replace("{", "{{").Replace("}", "}}"), "::" + deleted.Name, .. deleted.Files]);
        Assert.True(stored.ExitCode == 0, stored.ToString());
        Assert.Equal(0, (await VerifyAsync()).ExitCode);
        var replay = await VerifyAsync("--restore", "--scratch-dir", scratch);
        Assert.Equal(1, replay.ExitCode);
        var replayLine = Assert.Single(ProblemLines(replay));
        Assert.StartsWith($"cycle {c2}: restore test failed: replay ended at LSN ", replayLine);
        Assert.Contains($", before the cycle's last stored segment {last}: WAL in between could not be read", replayLine);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));

        await DeleteWalAsync(deleted.Name);
        string walLine = $"cycle {c2}: WAL {segments[0]}-{segments[^1]} missing (timeline 1)";
        var gap = await VerifyAsync();
        Assert.Equal(1, gap.ExitCode);
        Assert.Equal([walLine], ProblemLines(gap));

        // the newest cycle's tablespace archive: verify names it, and the restore test of that cycle fails and leaves nothing
        Assert.Equal(0, (await _sandbox.BorgAsync("delete", $"::{host}~main~pg15~tblspc~{oid}~{c2}")).ExitCode);
        var noTablespace = await VerifyAsync();
        Assert.Equal(1, noTablespace.ExitCode);
        Assert.Equal([$"cycle {c2}: tablespace {oid} ({location}) archive missing", walLine], ProblemLines(noTablespace));
        var failed = await VerifyAsync("--restore", "--scratch-dir", scratch);
        Assert.Equal(1, failed.ExitCode);
        Assert.Single(Lines(failed), l => l.StartsWith($"cycle {c2}: restore test failed: ", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
        Assert.Equal(3, (await VerifyAsync("--restore", "--cycle", "20200101T000000Z", "--scratch-dir", scratch)).ExitCode);
    }

    private async Task OnceAsync(params string[] extra)
    {
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once", .. extra], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    private Task<RunResult> VerifyAsync(params string[] args) => _sandbox.PgBorgAsync(["verify", .. args], null, timeout: TimeSpan.FromMinutes(5));

    private static List<string> Lines(RunResult r) => r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static List<string> ProblemLines(RunResult r) => Lines(r).Where(l => l.StartsWith("cycle ", StringComparison.Ordinal)).ToList();

    /// <summary>Stores one file as a WAL archive of <paramref name="cycle"/> whose comment records its size and SHA-256, as ingest does.</summary>
    private async Task<(string Archive, string Sha)> StoreCopyAsync(TempDir work, string host, string cycle, string file, byte[] content, string last)
    {
        var dir = Directory.CreateDirectory(work.Sub($"{file}-{last}")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(dir, file), content);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var metadata = new WalBatchMetadata(WalBatchMetadata.CurrentFormat, host, "main", cycle, [file], content.Length, DateTimeOffset.UtcNow,
            [new WalSegmentIndex(file, content.Length, sha)]);
        var archive = $"{host}~main~pg15~wal~{file}~{last}~{cycle}";
        // Borg expands {placeholders} in a comment: braces doubled, as pgborg itself does
        var comment = metadata.ToJson().Replace("{", "{{").Replace("}", "}}");
        var r = await _sandbox.WalBorgInAsync(dir, "create", "--comment", comment, "::" + archive, file);
        Assert.True(r.ExitCode == 0, r.ToString());
        return (archive, sha);
    }

    private async Task DeleteWalAsync(params string[] archives)
    {
        foreach (var a in archives)
        {
            Assert.Equal(0, (await _sandbox.WalBorgAsync("delete", "::" + a)).ExitCode);
        }
    }
}
