using System.Text.Json;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>pgcad's base backups from real copy-on-write snapshots, and with a tablespace outside the data directory.</summary>
public sealed class ArchiveSnapshotTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private async Task<JsonElement> SingleBaseAsync()
    {
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        return Assert.Single(cycles, c => c.Base is not null).Base!.Value;
    }

    private async Task<List<string>> BasePathsAsync(string archivePart)
    {
        var names = await _sandbox.ArchiveNamesAsync();
        var archive = names.Single(n => n.Contains(archivePart));
        var r = await _sandbox.BorgAsync("list", "--format", "{path}{NL}", "::" + archive);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>The base archive holds backup_label at its root, as its comment has it: Borg alone can restore it (BreakGlassTests).</summary>
    private async Task AssertLabelFileAsync(JsonElement meta)
    {
        Assert.Contains("backup_label", await BasePathsAsync("~base~"));
        var archive = (await _sandbox.ArchiveNamesAsync()).Single(n => n.Contains("~base~", StringComparison.Ordinal));
        var label = await _sandbox.BorgAsync("extract", "--stdout", "::" + archive, "backup_label");
        Assert.True(label.ExitCode == 0, label.ToString());
        Assert.Equal(meta.GetProperty("backupLabel").GetString(), label.Stdout);
    }

    private static void AssertNoSnapshotLeft(string directory) =>
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(directory)!, Path.GetFileName(directory) + ".pgborg-snapshot*"));

    [Fact(Timeout = 300_000)]
    public async Task A_base_from_a_btrfs_subvolume_uses_a_read_only_snapshot_and_releases_it()
    {
        await using var fs = await LoopFilesystem.CreateAsync("btrfs");
        await Run.CheckedAsync("/usr/bin/btrfs", "subvolume", "create", fs.Sub("pgdata"));
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf, fs.Sub("pgdata"));
        await cluster.SqlAsync("CREATE TABLE on_btrfs AS SELECT g FROM generate_series(1, 100000) g");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "auto"));
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());
        var meta = await SingleBaseAsync();
        Assert.Equal("btrfs", meta.GetProperty("method").GetString());
        Assert.True(meta.GetProperty("complete").GetBoolean());
        Assert.Contains("START WAL LOCATION", meta.GetProperty("backupLabel").GetString());
        await AssertLabelFileAsync(meta);
        var paths = await BasePathsAsync("~base~");
        Assert.Contains("PG_VERSION", paths);
        Assert.Contains("global/pg_control", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("pg_wal/", StringComparison.Ordinal) || p == "postmaster.pid");
        AssertNoSnapshotLeft(cluster.DataDirectory);
        var subvolumes = await Run.CheckedAsync("/usr/bin/btrfs", "subvolume", "list", fs.MountPoint);
        Assert.DoesNotContain("pgborg-snapshot", subvolumes);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_base_on_XFS_uses_a_reflink_copy_and_a_configured_impossible_method_fails_clearly()
    {
        await using var fs = await LoopFilesystem.CreateAsync("xfs");
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf, fs.Sub("pgdata"));
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "btrfs"));
        var refused = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not a btrfs subvolume", refused.Stderr);
        Assert.Equal("0", await cluster.SqlAsync("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgborg%'"));

        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "auto"));
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());
        var meta = await SingleBaseAsync();
        Assert.Equal("reflink", meta.GetProperty("method").GetString());
        await AssertLabelFileAsync(meta);
        AssertNoSnapshotLeft(cluster.DataDirectory);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_tablespace_outside_the_data_directory_is_stored_with_the_base()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        var (location, oid) = await cluster.CreateTablespaceAsync("ts_one", "tablespace one");
        // > 16 MiB, so its file is one of the tablespace's "large" files in the extract hints
        await cluster.SqlAsync("CREATE TABLE in_ts TABLESPACE ts_one AS SELECT g, md5(g::text) FROM generate_series(1, 350000) g");
        var relfile = await cluster.SqlAsync("SELECT pg_relation_filepath('in_ts')");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "auto"));
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());

        var meta = await SingleBaseAsync();
        var ts = Assert.Single(meta.GetProperty("tablespaces").EnumerateArray());
        Assert.Equal(uint.Parse(oid), ts.GetProperty("oid").GetUInt32());
        Assert.Equal(location, ts.GetProperty("path").GetString());
        Assert.Contains($"{oid} {location}", meta.GetProperty("tablespaceMap").GetString());
        // pg_tblspc/OID/PG_15_.../DBOID/RELFILENODE: the part below the tablespace location is in the tablespace archive
        var inTablespace = string.Join('/', relfile.Split('/').Skip(2));
        Assert.Contains(inTablespace, await BasePathsAsync($"~tblspc~{oid}~"));
        Assert.Contains($"pg_tblspc/{oid}", await BasePathsAsync("~base~"));
        // the hints that let pgcarestore split the tablespace's extraction without listing its items first
        var hints = ts.GetProperty("extractHints");
        Assert.True(hints.GetProperty("items").GetInt64() >= 3, hints.ToString());
        var large = Assert.Single(hints.GetProperty("large").EnumerateArray());
        Assert.Equal(inTablespace, large.GetProperty("path").GetString());
        Assert.Equal(new FileInfo(Path.Combine(location, inTablespace)).Length, large.GetProperty("size").GetInt64());
        Assert.True(hints.GetProperty("bytes").GetInt64() >= large.GetProperty("size").GetInt64(), hints.ToString());

        // restored elsewhere, with the tablespace remapped (the original still runs)
        using var restored = new TempDir("pgborg-ts-restore");
        var data = Path.Combine(restored.Path, "data");
        var newLocation = Path.Combine(restored.Path, "moved tablespace");
        var restore = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", data, "--tablespace-map", $"{oid}={newLocation}"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains($"extracting tablespace {oid} into {newLocation}.pgborg-extract-", restore.Stdout);
        Assert.Contains(restore.Stdout.Split('\n'), l => l.StartsWith($"extracting tablespace {oid} ", StringComparison.Ordinal) && l.EndsWith("Borg processes, split by the sizes recorded at backup)", StringComparison.Ordinal));
        Assert.Contains(restore.Stdout.Split('\n'), l => l.StartsWith("extracting base ", StringComparison.Ordinal) && l.EndsWith("Borg processes, split by the sizes recorded at backup)", StringComparison.Ordinal));
        Assert.Equal(newLocation, new FileInfo(Path.Combine(data, "pg_tblspc", oid)).LinkTarget);
        await using var server = await RestoredServer.StartAsync(data, 47001 + Environment.ProcessId % 500);
        await server.WaitPromotedAsync();
        Assert.Equal("350000", await server.SqlAsync("SELECT count(*) FROM in_ts"));
        Assert.Equal(newLocation, await server.SqlAsync("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'ts_one'"));

        var refused = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Path.Combine(restored.Path, "other"), "--tablespace-map", $"{oid}={newLocation}"], null);
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains($"tablespace {oid} directory {newLocation} is not empty", refused.Stderr);
    }

    [Fact(Timeout = 300_000)]
    public async Task Unlogged_relations_are_left_out_but_their_init_fork_is_kept_and_they_restore_empty()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await cluster.SqlAsync("CREATE UNLOGGED TABLE scratch AS SELECT g, md5(g::text) FROM generate_series(1, 50000) g; CREATE TABLE kept AS SELECT 1 AS x");
        var path = await cluster.SqlAsync("SELECT pg_relation_filepath('scratch')");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster));
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        var paths = await BasePathsAsync("~base~");
        Assert.Contains(path + "_init", paths);
        Assert.DoesNotContain(path, paths);
        Assert.DoesNotContain(path + "_fsm", paths);
        Assert.Contains(await cluster.SqlAsync("SELECT pg_relation_filepath('kept')"), paths);

        using var restored = new TempDir("pgborg-unlogged");
        var data = Path.Combine(restored.Path, "data");
        var restore = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        await using var server = await RestoredServer.StartAsync(data, 47601 + Environment.ProcessId % 300);
        await server.WaitPromotedAsync();
        Assert.Equal("0", await server.SqlAsync("SELECT count(*) FROM scratch"));
        Assert.Equal("1", await server.SqlAsync("SELECT count(*) FROM kept"));
    }

    [Fact(Timeout = 300_000)]
    public async Task Pgcad_also_runs_as_the_service_user_with_methods_that_need_no_root()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        var home = _sandbox.Sub("as-postgres");
        Directory.CreateDirectory(home);
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", home);
        var config = Path.Combine(home, "pgborg.toml");
        await File.WriteAllTextAsync(config, _sandbox.ArchiveConfig(cluster, snapshot: "auto")
            .Replace(_sandbox.StateDirectory, Path.Combine(home, "state")).Replace(_sandbox.Repository, Path.Combine(home, "repo")));
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", config);
        var r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "--config", config, "pgcad", "--once"], timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("base backup of cycle", r.Stderr);
        Assert.Contains("(direct)", r.Stderr);
        var spool = Directory.GetDirectories(cluster.DataDirectory + ".pgborg-spool").Single();
        Assert.Equal((uint?)PgBorg.Processes.OsUser.Find("postgres")!.Uid, PgBorg.Processes.FileStatus.Of(spool)?.Uid);
    }
}
