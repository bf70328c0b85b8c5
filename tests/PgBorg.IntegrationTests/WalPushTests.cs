using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// wal-push as PostgreSQL calls it: as the postgres user, in the data directory, with pg_wal/NAME. Real segments
/// come from a real cluster; the data directory handed to wal-push is a copy holding what it reads.
/// </summary>
public sealed class WalPushTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private TempDir _fake = null!;
    private string _segment = "";
    private string _other = "";

    private string Data => _fake.Sub("data");
    private string Spool => Data + ".pgborg-spool";

    public async ValueTask InitializeAsync()
    {
        // archiving "succeeds" into nowhere here: we only want finished segments to stay in pg_wal to copy them
        _cluster = await PostgresCluster.StartAsync("wal_level = replica\narchive_mode = on\narchive_command = '/bin/true'\nwal_keep_size = 1GB\n");
        await _cluster.SqlAsync("CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g");
        _segment = await _cluster.SqlAsync("SELECT pg_walfile_name(pg_switch_wal())");
        await _cluster.SqlAsync("INSERT INTO t SELECT g FROM generate_series(1, 10000) g");
        _other = await _cluster.SqlAsync("SELECT pg_walfile_name(pg_switch_wal())");
        _fake = new TempDir("pgborg-walpush");
        await CopyDataDirectoryAsync(Data);
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", _fake.Path);
    }

    /// <summary>What wal-push reads of a data directory, and the two finished segments, copied to <paramref name="data"/>.</summary>
    private async Task CopyDataDirectoryAsync(string data)
    {
        Directory.CreateDirectory(Path.Combine(data, "pg_wal"));
        Directory.CreateDirectory(Path.Combine(data, "global"));
        File.Copy(Path.Combine(_cluster.DataDirectory, "PG_VERSION"), Path.Combine(data, "PG_VERSION"));
        File.Copy(Path.Combine(_cluster.DataDirectory, "global", "pg_control"), Path.Combine(data, "global", "pg_control"));
        foreach (var s in new[] { _segment, _other })
        {
            File.Copy(Path.Combine(_cluster.DataDirectory, "pg_wal", s), Path.Combine(data, "pg_wal", s));
        }
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", data);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _fake.Dispose();
    }

    private async Task<string> SpoolAsync(string cycle, bool closing = false)
    {
        var dir = Path.Combine(Spool, cycle);
        Directory.CreateDirectory(dir);
        if (closing)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, ".closing"), "");
        }
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", Spool);
        return dir;
    }

    private Task<RunResult> PushAsync(string relative) =>
        Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "wal-push", relative], workingDirectory: Data);

    [Fact(Timeout = 120_000)]
    public async Task Without_an_active_spool_the_segment_is_refused_so_PostgreSQL_keeps_it()
    {
        var r = await PushAsync("pg_wal/" + _segment);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no active spool", r.Stderr);
        await SpoolAsync("20260101T000000Z", closing: true);
        Assert.Equal(1, (await PushAsync("pg_wal/" + _segment)).ExitCode);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_segment_is_stored_in_every_active_spool_and_nowhere_else_owned_by_the_service_user()
    {
        var a = await SpoolAsync("20260101T000000Z");
        var b = await SpoolAsync("20260102T000000Z");
        var closed = await SpoolAsync("20251231T000000Z", closing: true);
        var r = await PushAsync("pg_wal/" + _segment);
        Assert.True(r.ExitCode == 0, r.ToString());
        var original = await File.ReadAllBytesAsync(Path.Combine(Data, "pg_wal", _segment));
        Assert.Equal(original, await File.ReadAllBytesAsync(Path.Combine(a, _segment)));
        Assert.Equal(original, await File.ReadAllBytesAsync(Path.Combine(b, _segment)));
        Assert.False(File.Exists(Path.Combine(closed, _segment)));
        Assert.Empty(Directory.GetFiles(a, "*.tmp*").Concat(Directory.GetFiles(a, ".*")));
        // pushing it again (PostgreSQL retries after a crash) is a success
        Assert.Equal(0, (await PushAsync("pg_wal/" + _segment)).ExitCode);
        // an absolute path works too
        Assert.Equal(0, (await PushAsync(Path.Combine(Data, "pg_wal", _other))).ExitCode);
        Assert.True(File.Exists(Path.Combine(b, _other)));
    }

    [Fact(Timeout = 120_000)]
    public async Task On_a_nearly_full_filesystem_a_segment_is_refused_before_it_takes_PostgreSQLs_last_free_space()
    {
        // the data directory and its spool on one small filesystem, as on a real host
        await using var fs = await LoopFilesystem.CreateAsync("ext4", sizeMb: 128);
        var data = fs.Sub("data");
        await CopyDataDirectoryAsync(data);
        var spool = Path.Combine(data + ".pgborg-spool", "20260101T000000Z");
        Directory.CreateDirectory(spool);
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", data + ".pgborg-spool");
        long Free() => new DriveInfo(fs.MountPoint).AvailableFreeSpace;
        var filler = fs.Sub("filler");
        // 24 MiB free: room for the 16 MiB segment, but it would leave PostgreSQL 8 MiB
        await Run.CheckedAsync("/usr/bin/fallocate", "-l", (Free() - (24L << 20)).ToString(), filler);
        var before = Free();

        var r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "wal-push", "pg_wal/" + _segment], workingDirectory: data);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"pgborg wal-push: no space left on device (ENOSPC) storing {_segment} in the spool (24.0 MiB free; " +
            "a segment of 16.0 MiB is stored only with 32.0 MiB free, so that PostgreSQL keeps room to write); PostgreSQL keeps the file and retries", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(spool));
        Assert.Equal(before, Free());

        // with twice the segment's size free, it is stored
        await Run.CheckedAsync("/usr/bin/truncate", "-s", (new FileInfo(filler).Length - (16L << 20)).ToString(), filler);
        r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "wal-push", "pg_wal/" + _segment], workingDirectory: data);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(spool, _segment)));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_different_file_under_the_same_name_is_never_overwritten()
    {
        var a = await SpoolAsync("20260101T000000Z");
        File.Copy(Path.Combine(Data, "pg_wal", _other), Path.Combine(a, _segment));
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", Spool);
        var r = await PushAsync("pg_wal/" + _segment);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("different content", r.Stderr);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Data, "pg_wal", _other)), await File.ReadAllBytesAsync(Path.Combine(a, _segment)));
    }

    [Fact(Timeout = 120_000)]
    public async Task History_files_are_stored_and_never_overwritten()
    {
        var a = await SpoolAsync("20260101T000000Z");
        var history = Path.Combine(Data, "pg_wal", "00000002.history");
        await File.WriteAllTextAsync(history, "1\t0/3000000\tno recovery target specified\n");
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", history);
        Assert.Equal(0, (await PushAsync("pg_wal/00000002.history")).ExitCode);
        Assert.Equal(0, (await PushAsync("pg_wal/00000002.history")).ExitCode);
        await File.WriteAllTextAsync(history, "1\t0/4000000\tno recovery target specified\n");
        var r = await PushAsync("pg_wal/00000002.history");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("0/3000000", await File.ReadAllTextAsync(Path.Combine(a, "00000002.history")));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_file_already_there_is_fsynced_with_its_directory_before_success_is_reported()
    {
        // the call that stored it may have died between its rename and its directory fsync
        var a = await SpoolAsync("20260101T000000Z");
        File.Copy(Path.Combine(Data, "pg_wal", _segment), Path.Combine(a, _segment));
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", Spool);
        var trace = _fake.Sub("strace.out");
        var r = await Run.ProgramAsync("/usr/bin/strace", ["-f", "-q", "-y", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-o", trace,
            "/usr/sbin/runuser", "-u", "postgres", "--", PgBorgBinary.Path, "wal-push", "pg_wal/" + _segment], workingDirectory: Data);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = await File.ReadAllLinesAsync(trace);
        Assert.Contains(lines, l => l.Contains($"<{Path.Combine(a, _segment)}>)", StringComparison.Ordinal) && l.EndsWith("= 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"<{a}>)", StringComparison.Ordinal) && l.EndsWith("= 0", StringComparison.Ordinal));
    }

    /// <summary>Writes <paramref name="segment"/>'s bytes into pg_wal under the name of the same position on timeline 2.</summary>
    private async Task<string> AsTimelineTwoAsync(string segment, string? history)
    {
        var name = "00000002" + segment[8..];
        File.Copy(Path.Combine(Data, "pg_wal", segment), Path.Combine(Data, "pg_wal", name), overwrite: true);
        var historyPath = Path.Combine(Data, "pg_wal", "00000002.history");
        File.Delete(historyPath);
        if (history is not null)
        {
            await File.WriteAllTextAsync(historyPath, history);
        }
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", _fake.Path);
        return name;
    }

    [Fact(Timeout = 120_000)]
    public async Task The_first_segment_of_a_timeline_that_branched_inside_it_may_begin_with_the_parent_timelines_pages()
    {
        await SpoolAsync("20260101T000000Z");
        // what PostgreSQL writes at a promotion inside a segment: the parent's segment copied up to the switch point
        var start = SegmentStart(_segment);
        var inside = $"{start >> 32:X}/{(start & 0xFFFFFFFF) + 0x123458:X}";
        var name = await AsTimelineTwoAsync(_segment, $"1\t{inside}\tafter LSN target\n");
        var r = await PushAsync("pg_wal/" + name);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(Spool, "20260101T000000Z", name)));

        // no history: refused
        name = await AsTimelineTwoAsync(_other, null);
        r = await PushAsync("pg_wal/" + name);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("the first page belongs to timeline 1, not 2", r.Stderr);
        // a history that branches in another segment: refused (a recycled file of the old timeline, say)
        name = await AsTimelineTwoAsync(_other, $"1\t{inside}\tafter LSN target\n");
        r = await PushAsync("pg_wal/" + name);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not branch inside this segment", r.Stderr);
        // a branch exactly at the segment's start: PostgreSQL starts a fresh segment there, so old pages are wrong
        var otherStart = SegmentStart(_other);
        name = await AsTimelineTwoAsync(_other, $"1\t{otherStart >> 32:X}/{otherStart & 0xFFFFFFFF:X}\tat a boundary\n");
        r = await PushAsync("pg_wal/" + name);
        Assert.Equal(1, r.ExitCode);
    }

    private static ulong SegmentStart(string segment) => PgBorg.Archiving.WalFileName.SegmentNumber(segment, 16 << 20) * (16UL << 20);

    [Theory(Timeout = 120_000)]
    [InlineData("garbage", "not a WAL segment")]
    [InlineData("recycled", "the first page is at")]
    [InlineData("short", "is not a WAL segment size")]
    [InlineData("foreign", "not this cluster's")]
    public async Task Files_that_are_not_what_their_name_says_are_refused(string kind, string message)
    {
        await SpoolAsync("20260101T000000Z");
        var name = kind == "garbage" ? "notes.txt" : _segment;
        var target = Path.Combine(Data, "pg_wal", name);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(Data, "pg_wal", _other));
        switch (kind)
        {
            case "garbage":
                await File.WriteAllTextAsync(target, "hello");
                break;
            case "recycled":
                // the content of another segment under this name: what a recycled file looks like
                File.Move(target, target + ".orig");
                await File.WriteAllBytesAsync(target, bytes);
                break;
            case "short":
                File.Move(target, target + ".orig");
                await File.WriteAllBytesAsync(target, bytes.AsSpan(0, 1000).ToArray());
                break;
            case "foreign":
                // same segment, another database system identifier
                var own = await File.ReadAllBytesAsync(target);
                own[24] ^= 0xFF;
                File.Move(target, target + ".orig");
                await File.WriteAllBytesAsync(target, own);
                break;
        }
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", _fake.Path);
        var r = await PushAsync("pg_wal/" + name);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Empty(Directory.GetFiles(Path.Combine(Spool, "20260101T000000Z")));
        if (File.Exists(target + ".orig"))
        {
            File.Move(target + ".orig", target, overwrite: true);
        }
    }
}
