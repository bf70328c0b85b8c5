using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.IntegrationTests.Infrastructure;
using PgBorg.Processes;
using PgBorg.Snapshots;

namespace PgBorg.IntegrationTests;

/// <summary>Snapshot methods on real loop-mounted btrfs, XFS (reflink) and ext4 filesystems.</summary>
public sealed class SnapshotTests
{
    private const string Stamp = "20261125T114700Z";
    private const string Btrfs = "/usr/bin/btrfs";
    private static readonly OsUser Postgres = OsUser.Find("postgres") ?? throw new InvalidOperationException("the postgres user is missing: run scripts/test.sh");

    private static SnapshotSource Source(string dataDirectory, params TablespaceLocation[] tablespaces) =>
        new(dataDirectory, tablespaces, Postgres, Stamp);

    private static string SiblingOf(string directory) => directory + ".pgborg-snapshot";

    /// <summary>
    /// A listing without the mtimes of regular files: a reflink copy carries its keys for Borg's files cache there
    /// (the original's ctime, or a time after the copy; see ReflinkCacheKeys), everything else is kept.
    /// </summary>
    private static List<string> WithoutFileMtimes(List<string> listing) =>
        listing.Select(line => line.Split('|') is var f && f[1] == "f" ? string.Join('|', f.Take(5).Append("-").Concat(f.Skip(6))) : line).ToList();

    private static async Task<long> StatNanosecondsAsync(string format, string path)
    {
        var text = (await Run.CheckedAsync("/usr/bin/stat", "-c", format, path)).Trim();
        var parts = text.Split('.');
        return long.Parse(parts[0]) * 1_000_000_000 + long.Parse(parts[1]);
    }

    private static Task<Snapshot> TakeAsync(string method, SnapshotSource source) =>
        SnapshotTaker.TakeAsync(method, source, NullLogger.Instance, CancellationToken.None);

    private static async Task<string> SubvolumeAsync(LoopFilesystem fs, string name)
    {
        var path = fs.Sub(name);
        await Run.CheckedAsync(Btrfs, "subvolume", "create", path);
        return path;
    }

    [Fact(Timeout = 120_000)]
    public async Task A_btrfs_snapshot_of_a_subvolume_is_read_only_identical_frozen_and_removed_on_dispose()
    {
        await using var fs = await LoopFilesystem.CreateAsync("btrfs");
        var data = await SubvolumeAsync(fs, "data");
        await DirectoryTree.FillAsync(data);
        var before = await DirectoryTree.DescribeAsync(data);

        var snapshot = await TakeAsync("btrfs", Source(data));
        Assert.Equal("btrfs", snapshot.Method);
        Assert.Equal(SiblingOf(data), snapshot.DataPath);
        Assert.Equal(before, await DirectoryTree.DescribeAsync(snapshot.DataPath));
        Assert.Contains("ro=true", await Run.CheckedAsync(Btrfs, "property", "get", "-ts", snapshot.DataPath, "ro"));
        var write = Record.Exception(() => File.WriteAllText(Path.Combine(snapshot.DataPath, "new-file"), "x"));
        Assert.IsAssignableFrom<IOException>(write);
        Assert.Contains("Read-only", write!.Message);

        // the live directory goes on changing; the snapshot does not
        await File.AppendAllTextAsync(Path.Combine(data, "PG_VERSION"), "changed\n");
        File.WriteAllText(Path.Combine(data, "base", "1", "99999"), "new relation");
        Assert.Equal(before, await DirectoryTree.DescribeAsync(snapshot.DataPath));

        await snapshot.DisposeAsync();
        await snapshot.DisposeAsync();
        Assert.False(Path.Exists(snapshot.DataPath));
        Assert.DoesNotContain("pgborg-snapshot", await Run.CheckedAsync(Btrfs, "subvolume", "list", fs.MountPoint));
        Assert.True(File.Exists(Path.Combine(data, "base", "1", "99999")));
    }

    [Fact(Timeout = 120_000)]
    public async Task Auto_picks_btrfs_for_a_subvolume_and_reflink_for_a_plain_or_nested_directory_on_btrfs()
    {
        await using var fs = await LoopFilesystem.CreateAsync("btrfs");
        var subvolume = await SubvolumeAsync(fs, "data");
        await DirectoryTree.FillAsync(subvolume);
        var plain = fs.Sub("plain");
        await DirectoryTree.FillAsync(plain);
        var nesting = await SubvolumeAsync(fs, "nesting");
        await DirectoryTree.FillAsync(nesting);
        await Run.CheckedAsync(Btrfs, "subvolume", "create", Path.Combine(nesting, "base", "inner"));
        File.WriteAllText(Path.Combine(nesting, "base", "inner", "f"), "inside a nested subvolume");

        await using (var s = await TakeAsync("auto", Source(subvolume)))
        {
            Assert.Equal("btrfs", s.Method);
        }
        await using (var s = await TakeAsync("auto", Source(plain)))
        {
            Assert.Equal("reflink", s.Method);
            Assert.Equal(WithoutFileMtimes(await DirectoryTree.DescribeAsync(plain)), WithoutFileMtimes(await DirectoryTree.DescribeAsync(s.DataPath)));
        }
        // a btrfs snapshot would leave the nested subvolume empty: a reflink copy takes it along
        await using (var s = await TakeAsync("auto", Source(nesting)))
        {
            Assert.Equal("reflink", s.Method);
            Assert.Equal("inside a nested subvolume", File.ReadAllText(Path.Combine(s.DataPath, "base", "inner", "f")));
        }
        var e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("btrfs", Source(nesting)));
        Assert.Contains("contains nested btrfs subvolumes (nesting/base/inner)", e.Message);
        Assert.Contains("use reflink or direct", e.Message);

        Assert.Equal(["data", "nesting", "plain"], Directory.GetFileSystemEntries(fs.MountPoint).Select(Path.GetFileName).Order());
    }

    [Fact(Timeout = 120_000)]
    public async Task Auto_picks_reflink_on_xfs_and_the_copy_keeps_owners_modes_and_links_shares_blocks_and_is_removed_on_dispose()
    {
        await using var fs = await LoopFilesystem.CreateAsync("xfs");
        var data = fs.Sub("data");
        await DirectoryTree.FillAsync(data, bigFileMiB: 64);
        var tablespace = fs.Sub("ts");
        Directory.CreateDirectory(tablespace);
        File.WriteAllText(Path.Combine(tablespace, "keep-me"), "live tablespace");
        Directory.CreateDirectory(Path.Combine(data, "pg_tblspc"));
        File.CreateSymbolicLink(Path.Combine(data, "pg_tblspc", "16384"), tablespace);
        // settled well before the copy (its ctime becomes the copy's mtime), and one written just before it
        await Task.Delay(2500);
        File.WriteAllBytes(Path.Combine(data, "global", "pg_control"), RandomNumberGenerator.GetBytes(8192));
        var before = await DirectoryTree.DescribeAsync(data);
        var freeBefore = new DriveInfo(fs.MountPoint).AvailableFreeSpace;

        var pgControlChanged = await StatNanosecondsAsync("%.9Z", Path.Combine(data, "global", "pg_control"));
        var snapshot = await TakeAsync("auto", Source(data));
        Assert.Equal("reflink", snapshot.Method);
        Assert.Equal(SiblingOf(data), snapshot.DataPath);
        var copy = await DirectoryTree.DescribeAsync(snapshot.DataPath);
        Assert.Equal(WithoutFileMtimes(before), WithoutFileMtimes(copy));
        Assert.Equal(await StatNanosecondsAsync("%.9Z", Path.Combine(data, "base", "1", "1259")),
            await StatNanosecondsAsync("%.9Y", Path.Combine(snapshot.DataPath, "base", "1", "1259")));
        Assert.True(await StatNanosecondsAsync("%.9Y", Path.Combine(snapshot.DataPath, "global", "pg_control")) > pgControlChanged);
        Assert.Contains(copy, line => line.StartsWith("global/pg_control|f|postgres|postgres|600|", StringComparison.Ordinal));
        Assert.Contains(copy, line => line.StartsWith("postgresql.auto.conf|f|root|root|", StringComparison.Ordinal));
        Assert.Contains(copy, line => line.StartsWith("|d|postgres|postgres|700|", StringComparison.Ordinal));
        Assert.Contains(copy, line => line.StartsWith("pg_tblspc/16384|l|", StringComparison.Ordinal) && line.EndsWith("|" + tablespace, StringComparison.Ordinal));
        var used = freeBefore - new DriveInfo(fs.MountPoint).AvailableFreeSpace;
        Assert.True(used < 16L << 20, $"the reflink copy of 64 MiB took {used >> 20} MiB: blocks not shared");

        await snapshot.DisposeAsync();
        Assert.False(Path.Exists(snapshot.DataPath));
        // the copy's pg_tblspc link was removed, not followed
        Assert.Equal("live tablespace", File.ReadAllText(Path.Combine(tablespace, "keep-me")));
        Assert.Equal(before, await DirectoryTree.DescribeAsync(data));
    }

    [Fact(Timeout = 180_000)]
    public async Task Files_deleted_by_the_server_while_the_reflink_copy_runs_are_not_an_error()
    {
        await using var fs = await LoopFilesystem.CreateAsync("xfs");
        var data = fs.Sub("data");
        var vanishedSeen = false;
        // racy by nature: retry until a file really vanished under cp (the first attempt nearly always does)
        for (var attempt = 0; attempt < 10 && !vanishedSeen; attempt++)
        {
            await DirectoryTree.FillAsync(data);
            for (var d = 0; d < 20; d++)
            {
                var sub = Path.Combine(data, "base", $"{16400 + d}");
                Directory.CreateDirectory(sub);
                for (var f = 0; f < 300; f++)
                {
                    File.WriteAllText(Path.Combine(sub, $"{f}"), "x");
                }
            }
            var target = SiblingOf(data);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var deleter = Task.Run(async () =>
            {
                while (!Directory.Exists(target))
                {
                    await Task.Delay(1, stop.Token);
                }
                foreach (var sub in Directory.GetDirectories(Path.Combine(data, "base")).Where(p => Path.GetFileName(p).StartsWith("164", StringComparison.Ordinal)))
                {
                    Directory.Delete(sub, recursive: true);
                }
            }, stop.Token);
            var log = new ListLogger();
            await using (var snapshot = await SnapshotTaker.TakeAsync("reflink", Source(data), log, CancellationToken.None))
            {
                Assert.Equal("reflink", snapshot.Method);
                Assert.Equal("15\n", File.ReadAllText(Path.Combine(snapshot.DataPath, "PG_VERSION")));
                vanishedSeen = log.Lines.Any(l => l.Contains("file(s) deleted by PostgreSQL while copying", StringComparison.Ordinal));
            }
            await deleter;
            Assert.False(Path.Exists(target));
            Directory.Delete(data, recursive: true);
        }
        Assert.True(vanishedSeen, "no file vanished during the copy in 10 attempts: the race was never hit");
    }

    [Fact(Timeout = 120_000)]
    public async Task A_reflink_copy_failing_for_a_real_reason_is_an_error_and_its_half_made_copy_is_removed()
    {
        await using var fs = await LoopFilesystem.CreateAsync("xfs");
        var data = fs.Sub("data");
        await DirectoryTree.FillAsync(data);
        // a tmpfs mounted inside the data directory: its files cannot be reflinked onto XFS
        var mounted = Path.Combine(data, "base", "zz_tmpfs");
        Directory.CreateDirectory(mounted);
        await Run.CheckedAsync("/usr/bin/mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mounted);
        try
        {
            File.WriteAllText(Path.Combine(mounted, "f"), "on tmpfs");
            var e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("reflink", Source(data)));
            Assert.StartsWith($"reflink copy of {data} to {SiblingOf(data)} failed: cp exited with code 1: ", e.Message);
            Assert.Contains("zz_tmpfs/f", e.Message);
            Assert.False(Path.Exists(SiblingOf(data)));
        }
        finally
        {
            await Run.ProgramAsync("/usr/bin/umount", [mounted]);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Auto_falls_back_to_direct_on_ext4_which_reads_the_live_directory_and_deletes_nothing()
    {
        await using var fs = await LoopFilesystem.CreateAsync("ext4");
        var data = fs.Sub("data");
        await DirectoryTree.FillAsync(data);
        var before = await DirectoryTree.DescribeAsync(data);

        var snapshot = await TakeAsync("auto", Source(data));
        Assert.Equal("direct", snapshot.Method);
        Assert.Equal(data, snapshot.DataPath);
        Assert.False(Path.Exists(SiblingOf(data)));
        await snapshot.DisposeAsync();
        Assert.Equal(before, await DirectoryTree.DescribeAsync(data));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_configured_method_that_is_impossible_here_is_an_error_that_says_why_and_creates_nothing()
    {
        await using var xfs = await LoopFilesystem.CreateAsync("xfs");
        await using var ext4 = await LoopFilesystem.CreateAsync("ext4");
        var onXfs = xfs.Sub("data");
        var onExt4 = ext4.Sub("data");
        await DirectoryTree.FillAsync(onXfs);
        await DirectoryTree.FillAsync(onExt4);
        var xfsInode = (await Run.CheckedAsync("/usr/bin/stat", "-c", "%i", onXfs)).Trim();

        var e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("btrfs", Source(onXfs)));
        Assert.Equal($"snapshot = \"btrfs\" but {onXfs} is not a btrfs subvolume (inode {xfsInode} on xfs): use reflink or direct", e.Message);
        e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("btrfs", Source(onExt4)));
        Assert.Contains("on ext4): use direct", e.Message);
        e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("reflink", Source(onExt4)));
        Assert.StartsWith($"snapshot = \"reflink\" but {onExt4} is on ext4, which does not support reflinks here", e.Message);
        Assert.EndsWith(": use direct", e.Message);
        e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("lvm", Source(onXfs)));
        Assert.Contains("\"lvm\" is not supported in this version", e.Message);
        e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("zfs", Source(onXfs)));
        Assert.Contains("unknown snapshot method \"zfs\"", e.Message);
        e = await Assert.ThrowsAsync<SnapshotException>(() => TakeAsync("auto", Source(xfs.Sub("missing"))));
        Assert.Contains("does not exist", e.Message);

        Assert.Equal(["data"], Directory.GetFileSystemEntries(xfs.MountPoint).Select(Path.GetFileName));
        Assert.Equal(["data", "lost+found"], Directory.GetFileSystemEntries(ext4.MountPoint).Select(Path.GetFileName).Order());
    }

    [Fact(Timeout = 180_000)]
    public async Task Each_tablespace_is_snapshotted_with_the_best_method_its_own_filesystem_allows()
    {
        await using var btrfs = await LoopFilesystem.CreateAsync("btrfs");
        await using var xfs = await LoopFilesystem.CreateAsync("xfs");
        await using var ext4 = await LoopFilesystem.CreateAsync("ext4");
        var data = await SubvolumeAsync(btrfs, "data");
        await DirectoryTree.FillAsync(data);
        var onBtrfs = await SubvolumeAsync(btrfs, "ts");
        var onXfs = xfs.Sub("ts");
        var onExt4 = ext4.Sub("ts");
        var inside = Path.Combine(data, "inner_ts");
        foreach (var ts in new[] { onBtrfs, onXfs, onExt4, inside })
        {
            await DirectoryTree.FillAsync(Path.Combine(ts, "PG_15_202209061"));
        }
        var links = Path.Combine(data, "pg_tblspc");
        Directory.CreateDirectory(links);
        File.CreateSymbolicLink(Path.Combine(links, "16386"), onExt4);
        File.CreateSymbolicLink(Path.Combine(links, "16384"), onBtrfs);
        File.CreateSymbolicLink(Path.Combine(links, "16385"), onXfs);
        File.CreateSymbolicLink(Path.Combine(links, "16390"), inside);
        File.CreateSymbolicLink(Path.Combine(links, "not-an-oid"), onXfs);
        Directory.CreateDirectory(Path.Combine(links, "16999")); // an in-place tablespace: part of the data directory

        var tablespaces = Tablespaces.Read(data);
        Assert.Equal(
            [new TablespaceLocation(16384, onBtrfs), new TablespaceLocation(16385, onXfs), new TablespaceLocation(16386, onExt4), new TablespaceLocation(16390, inside)],
            tablespaces);

        var log = new ListLogger();
        var snapshot = await SnapshotTaker.TakeAsync("auto", Source(data, [.. tablespaces]), log, CancellationToken.None);
        Assert.Equal("btrfs", snapshot.Method);
        Assert.Contains($"Information: snapshot of data directory {data}: btrfs (auto: {data} is a btrfs subvolume)", log.Lines);
        Assert.Contains($"Information: snapshot of tablespace 16384 at {onBtrfs}: btrfs ({onBtrfs} is a btrfs subvolume)", log.Lines);
        Assert.Contains(log.Lines, l => l.StartsWith($"Warning: snapshot of tablespace 16385 at {onXfs}: reflink instead of btrfs (btrfs: {onXfs} is not a btrfs subvolume (inode ", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.StartsWith($"Warning: snapshot of tablespace 16386 at {onExt4}: direct instead of btrfs (btrfs: {onExt4} is not a btrfs subvolume (inode ", StringComparison.Ordinal)
            && l.Contains("reflink: " + onExt4 + " is on ext4, which does not support reflinks here", StringComparison.Ordinal));
        Assert.Contains($"Information: tablespace 16390 at {inside} is inside the data directory: read from its snapshot", log.Lines);
        Assert.Equal(SiblingOf(data), snapshot.DataPath);
        Assert.Equal(SiblingOf(onBtrfs), snapshot.TablespacePaths[16384]);
        Assert.Equal(SiblingOf(onXfs), snapshot.TablespacePaths[16385]);
        Assert.Equal(onExt4, snapshot.TablespacePaths[16386]);
        Assert.Equal(Path.Combine(snapshot.DataPath, "inner_ts"), snapshot.TablespacePaths[16390]);
        Assert.Contains("ro=true", await Run.CheckedAsync(Btrfs, "property", "get", "-ts", snapshot.TablespacePaths[16384], "ro"));
        foreach (var (oid, live) in new[] { (16384u, onBtrfs), (16385u, onXfs), (16386u, onExt4), (16390u, inside) })
        {
            Assert.Equal(WithoutFileMtimes(await DirectoryTree.DescribeAsync(live)), WithoutFileMtimes(await DirectoryTree.DescribeAsync(snapshot.TablespacePaths[oid])));
        }

        await snapshot.DisposeAsync();
        Assert.False(Path.Exists(SiblingOf(data)));
        Assert.False(Path.Exists(SiblingOf(onBtrfs)));
        Assert.False(Path.Exists(SiblingOf(onXfs)));
        Assert.True(File.Exists(Path.Combine(onExt4, "PG_15_202209061", "PG_VERSION")));
        Assert.True(File.Exists(Path.Combine(inside, "PG_15_202209061", "PG_VERSION")));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_failure_half_way_releases_the_snapshots_already_made_and_leaves_what_is_not_ours()
    {
        await using var btrfs = await LoopFilesystem.CreateAsync("btrfs");
        await using var xfs = await LoopFilesystem.CreateAsync("xfs");
        var data = await SubvolumeAsync(btrfs, "data");
        await DirectoryTree.FillAsync(data);
        var first = xfs.Sub("ts1");
        var second = xfs.Sub("ts2");
        await DirectoryTree.FillAsync(first);
        await DirectoryTree.FillAsync(second);
        // something already sits where the second tablespace's snapshot would go
        Directory.CreateDirectory(SiblingOf(second));
        File.WriteAllText(Path.Combine(SiblingOf(second), "not-ours"), "keep");

        var e = await Assert.ThrowsAsync<SnapshotException>(() =>
            TakeAsync("auto", Source(data, new TablespaceLocation(16384, first), new TablespaceLocation(16385, second))));
        Assert.Contains($"{SiblingOf(second)} already exists", e.Message);
        Assert.False(Path.Exists(SiblingOf(data)));
        Assert.False(Path.Exists(SiblingOf(first)));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(SiblingOf(second), "not-ours")));

        // a tablespace that vanished: same clean-up
        e = await Assert.ThrowsAsync<SnapshotException>(() =>
            TakeAsync("auto", Source(data, new TablespaceLocation(16384, first), new TablespaceLocation(16390, xfs.Sub("gone")))));
        Assert.Contains($"tablespace 16390 {xfs.Sub("gone")} does not exist", e.Message);
        Assert.False(Path.Exists(SiblingOf(data)));
        Assert.False(Path.Exists(SiblingOf(first)));
        Assert.DoesNotContain("pgborg-snapshot", await Run.CheckedAsync(Btrfs, "subvolume", "list", btrfs.MountPoint));
    }

    [Fact(Timeout = 180_000)]
    public async Task CleanupLeftoversAsync_removes_leftover_snapshots_of_every_kind_and_never_a_name_that_does_not_match()
    {
        await using var btrfs = await LoopFilesystem.CreateAsync("btrfs");
        await using var xfs = await LoopFilesystem.CreateAsync("xfs");
        var data = await SubvolumeAsync(btrfs, "data");
        await DirectoryTree.FillAsync(data);
        var tablespace = xfs.Sub("ts");
        await DirectoryTree.FillAsync(tablespace);
        File.CreateSymbolicLink(Path.Combine(tablespace, "link-to-live-dir"), tablespace);
        var dataBefore = await DirectoryTree.DescribeAsync(data);
        var tablespaceBefore = await DirectoryTree.DescribeAsync(tablespace);

        // what a daemon killed during snapshots leaves behind: a read-only btrfs snapshot, a plain copy on btrfs, reflink
        // copies on XFS, under today's stable names and under the stamped names of earlier versions
        var leftovers = new[]
        {
            data + ".pgborg-snapshot-20260101T000000Z",
            data + ".pgborg-snapshot-20260102T000000Z",
            tablespace + ".pgborg-snapshot-20260101T000000Z",
            tablespace + ".pgborg-snapshot-20260102T000000Z",
            data + ".pgborg-snapshot",
            tablespace + ".pgborg-snapshot",
        };
        await Run.CheckedAsync(Btrfs, "subvolume", "snapshot", "-r", data, leftovers[0]);
        await Run.CheckedAsync("/usr/bin/cp", "-a", "--reflink=always", data, leftovers[1]);
        await Run.CheckedAsync("/usr/bin/cp", "-a", "--reflink=always", tablespace, leftovers[2]);
        Directory.CreateDirectory(leftovers[3]); // an interrupted copy: only the top made
        await Run.CheckedAsync(Btrfs, "subvolume", "snapshot", "-r", data, leftovers[4]);
        await Run.CheckedAsync("/usr/bin/cp", "-a", "--reflink=always", tablespace, leftovers[5]);
        var strangers = new[]
        {
            data + ".pgborg-snapshot-2026",
            data + ".pgborg-snapshot-20260101T000000Z.old",
            data + ".pgborg-snapshot-20260101T000000z",
            data + ".pgborg-snapshot-20260101T0000000Z",
            btrfs.Sub("other.pgborg-snapshot-20260101T000000Z"),
            btrfs.Sub("xdata.pgborg-snapshot-20260101T000000Z"),
            tablespace + ".pgborg-snapshot-",
            tablespace + "-pgborg-snapshot-20260101T000000Z",
            data + ".pgborg-snapshot.old",
            tablespace + ".pgborg-snapshotx",
        };
        foreach (var stranger in strangers)
        {
            Directory.CreateDirectory(stranger);
            File.WriteAllText(Path.Combine(stranger, "keep"), "not a pgborg snapshot");
        }

        await SnapshotTaker.CleanupLeftoversAsync(data, [tablespace], NullLogger.Instance, CancellationToken.None);

        Assert.All(leftovers, l => Assert.False(Path.Exists(l), l));
        Assert.All(strangers, s => Assert.True(File.Exists(Path.Combine(s, "keep")), s));
        Assert.Equal(dataBefore, await DirectoryTree.DescribeAsync(data));
        Assert.Equal(tablespaceBefore, await DirectoryTree.DescribeAsync(tablespace));
        var subvolumes = await Run.CheckedAsync(Btrfs, "subvolume", "list", btrfs.MountPoint);
        Assert.DoesNotContain("pgborg-snapshot-2026010", subvolumes);
        Assert.DoesNotContain("data.pgborg-snapshot\n", subvolumes + "\n");

        // nothing left: a no-op; a symlink with a snapshot's name is reported and neither removed nor followed
        await SnapshotTaker.CleanupLeftoversAsync(data, [tablespace], NullLogger.Instance, CancellationToken.None);
        var link = tablespace + ".pgborg-snapshot-20260103T000000Z";
        File.CreateSymbolicLink(link, tablespace);
        var e = await Assert.ThrowsAsync<SnapshotException>(() =>
            SnapshotTaker.CleanupLeftoversAsync(data, [tablespace], NullLogger.Instance, CancellationToken.None));
        Assert.Contains("is named like a pgborg snapshot but is not a directory", e.Message);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal(tablespaceBefore, await DirectoryTree.DescribeAsync(tablespace));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_directory_reached_through_a_symlink_is_snapshotted_and_cleaned_up_next_to_its_real_location()
    {
        await using var fs = await LoopFilesystem.CreateAsync("xfs");
        using var elsewhere = new TempDir("pgborg-snapshot-link");
        var data = fs.Sub("data");
        await DirectoryTree.FillAsync(data);
        var link = elsewhere.Sub("main");
        File.CreateSymbolicLink(link, data);

        var log = new ListLogger();
        await using (var snapshot = await SnapshotTaker.TakeAsync("auto", Source(link), log, CancellationToken.None))
        {
            Assert.Equal("reflink", snapshot.Method);
            Assert.Equal(SiblingOf(data), snapshot.DataPath);
            Assert.Contains(log.Lines, l => l.StartsWith($"Information: snapshot of data directory {data}: reflink (auto: {fs.MountPoint} supports reflinks (xfs); not btrfs: {data} is not a btrfs subvolume (inode ", StringComparison.Ordinal));
        }
        Assert.False(Path.Exists(SiblingOf(data)));
        Assert.Equal(["main"], Directory.GetFileSystemEntries(elsewhere.Path).Select(Path.GetFileName));

        await Run.CheckedAsync("/usr/bin/cp", "-a", "--reflink=always", data, SiblingOf(data));
        await SnapshotTaker.CleanupLeftoversAsync(link, [], NullLogger.Instance, CancellationToken.None);
        Assert.False(Path.Exists(SiblingOf(data)));
        Assert.True(File.Exists(Path.Combine(data, "PG_VERSION")));
    }

    [Fact(Timeout = 60_000)]
    public async Task Releasing_refuses_any_path_not_named_like_a_snapshot()
    {
        using var dir = new TempDir("pgborg-snapshot-names");
        var data = dir.Sub("data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "keep"), "x");
        ISnapshotMethod[] methods = [new ReflinkSnapshot(), new BtrfsSnapshot()];
        foreach (var method in methods)
        {
            foreach (var path in new[]
            {
                data,
                data + ".pgborg-snapshot-2026",
                data + ".pgborg-snapshot-20260101T000000Z/../data",
                "data.pgborg-snapshot-20260101T000000Z",
                dir.Sub(".pgborg-snapshot-20260101T000000Z"),
                data + ".pgborg-snapshot-20260101T000000Z/",
            })
            {
                var e = await Assert.ThrowsAsync<SnapshotException>(() => method.ReleaseAsync(path, CancellationToken.None));
                Assert.Contains("refusing to release", e.Message);
            }
        }
        Assert.True(File.Exists(Path.Combine(data, "keep")));

        // a btrfs release of something that is not a subvolume is refused too
        var plain = data + ".pgborg-snapshot-20260101T000000Z";
        Directory.CreateDirectory(plain);
        var notSubvolume = await Assert.ThrowsAsync<SnapshotException>(() => new BtrfsSnapshot().ReleaseAsync(plain, CancellationToken.None));
        Assert.Contains("not a btrfs subvolume", notSubvolume.Message);
        Assert.True(Directory.Exists(plain));
    }
}
