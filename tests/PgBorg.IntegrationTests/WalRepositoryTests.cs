using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// WAL in a repository of its own: WAL archived into the archive repository before still restores beside it; each
/// consolidation window's batches become one archive with every segment still there; and a base whose stop segment
/// PostgreSQL cannot archive is given up at once, naming the segment and the archiver's failure.
/// </summary>
public sealed class WalRepositoryTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact(Timeout = 600_000)]
    public async Task WAL_archived_into_the_archive_repository_before_still_restores_beside_WAL_in_its_own_repository()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        // the layout before WAL had a repository of its own: everything in the archive repository
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, extraArchive: $"wal_repository = \"{_sandbox.Repository}\""));
        await _sandbox.PgcadOnceAsync();
        await cluster.SqlAsync("INSERT INTO t SELECT g, 'before' FROM generate_series(1, 5000) g");
        await cluster.SwitchAndWaitArchivedAsync();
        await _sandbox.PgcadOnceAsync();
        var legacy = await WalArchivesInAsync(wal: false);
        Assert.NotEmpty(legacy);
        Assert.False(Directory.Exists(_sandbox.WalRepository));
        // and from before the WAL index: format 1, a file list without segments
        foreach (var (name, comment) in (await new ArchiveInspector(_sandbox).ArchivesAsync()).Where(a => legacy.Contains(a.Name)))
        {
            var old = JsonNode.Parse(comment)!.AsObject();
            old.Remove("segments");
            old["format"] = "pgborg-wal/1";
            var escaped = old.ToJsonString().Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
            var recreate = await _sandbox.BorgAsync("recreate", "--comment", escaped, "::" + name);
            Assert.True(recreate.ExitCode == 0, recreate.ToString());
        }

        // the upgrade: the default WAL repository, the same cycle goes on
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster));
        await cluster.SqlAsync("INSERT INTO t SELECT g, 'after' FROM generate_series(5001, 10000) g; UPDATE t SET v = 'changed' WHERE id % 7 = 0");
        await cluster.SwitchAndWaitArchivedAsync();
        await _sandbox.PgcadOnceAsync();
        Assert.Equal(legacy, await WalArchivesInAsync(wal: false));
        var own = await WalArchivesInAsync(wal: true);
        Assert.NotEmpty(own);
        var walRepository = await _sandbox.WalBorgAsync("list", "--short");
        Assert.DoesNotContain("~base~", walRepository.Stdout);

        // restore to the latest state: the first WAL from the archive repository, the rest from the WAL repository
        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, RestoredServer.TableChecksum);

        // info says in one line what it could not check: the segments only the format-1 archives hold
        var files = await new ArchiveInspector(_sandbox).WalArchivesAsync();
        var unindexed = files.Where(w => legacy.Contains(w.Name)).SelectMany(w => w.Files).Where(f => f.Length == 24).ToHashSet();
        unindexed.ExceptWith(files.Where(w => !legacy.Contains(w.Name)).SelectMany(w => w.Files));
        Assert.NotEmpty(unindexed);
        var info = await _sandbox.PgBorgAsync("pgcarestore", "info");
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains($"\nunchecked:    {unindexed.Count} WAL segment(s) have no index (archived before pgborg indexed WAL, or unreadable to pg_waldump): "
            + "their restore points and commit times could not be checked\n", info.Stdout);
    }

    [Fact(Timeout = 600_000)]
    public async Task A_closed_windows_batches_become_one_archive_and_every_segment_stays_restorable()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await cluster.SqlAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, extraArchive: "wal_consolidation = \"1h\""));
        await _sandbox.PgcadOnceAsync();
        var cycle = Assert.Single(await new ArchiveInspector(_sandbox).CyclesAsync());
        string last = "";
        for (var i = 0; i < 4; i++)
        {
            await cluster.SqlAsync($"INSERT INTO t SELECT g, 'round {i}' FROM generate_series({i * 1000 + 1}, {(i + 1) * 1000}) g");
            last = await cluster.SwitchAndWaitArchivedAsync();
            await _sandbox.PgcadOnceAsync();
        }
        var batches = (await new ArchiveInspector(_sandbox).WalArchivesAsync()).Where(w => w.Cycle == cycle.Stamp).ToList();
        Assert.True(batches.Count >= 5, $"{batches.Count} WAL archives before consolidation");
        var stored = Path.Combine(cluster.DataDirectory + ".pgborg-spool", cycle.Stamp, ".stored");
        Assert.NotEmpty(Directory.GetFiles(stored));
        // ingest indexed every file of every batch with its size and SHA-256
        var indexed = (await new ArchiveInspector(_sandbox).WalIndexAsync()).Where(w => w.Name.EndsWith(cycle.Stamp, StringComparison.Ordinal)).ToList();
        Assert.Equal(batches.Select(b => b.Files.Order().ToList()), indexed.Select(w => w.Index.Keys.Order().ToList()));
        var index = indexed.SelectMany(w => w.Index).DistinctBy(e => e.Key).ToDictionary();
        foreach (var path in Directory.GetFiles(stored))
        {
            await using var file = File.OpenRead(path);
            Assert.Equal($"{file.Length} {Convert.ToHexStringLower(await SHA256.HashDataAsync(file))}", index[Path.GetFileName(path)]);
        }

        // a window of a second has closed by the next round: one archive holds the cycle's WAL
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, extraArchive: "wal_consolidation = \"1s\""));
        await Task.Delay(1100);
        var r = await _sandbox.PgcadOnceAsync();
        Assert.Contains("consolidated", r.Stderr);
        var after = (await new ArchiveInspector(_sandbox).WalArchivesAsync()).Where(w => w.Cycle == cycle.Stamp).ToList();
        var consolidated = Assert.Single(after);
        // the consolidated archive carries the batches' index over
        var carried = (await new ArchiveInspector(_sandbox).WalIndexAsync()).Single(w => w.Name == consolidated.Name).Index;
        Assert.Equal(consolidated.Files.Order(), carried.Keys.Order());
        // every entry indexed before is carried over unchanged (the round may have ingested a newer segment first, one
        // that archive_timeout switched to on a slow machine: it is indexed then, not before)
        Assert.All(index, e => Assert.Equal(e.Value, Assert.Contains(e.Key, carried)));
        Assert.True(batches.SelectMany(b => b.Files).ToHashSet().IsSubsetOf(consolidated.Files), "a file of the batches is not in the consolidated archive");
        Assert.Empty(Directory.GetFiles(stored));
        var first = (await new ArchiveInspector(_sandbox).CyclesAsync())[0].Base!.Value.GetProperty("startWalFile").GetString()!;
        Assert.All(ArchiveInspector.SegmentRange(first, last), s => Assert.Contains(s, consolidated.Files));

        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, RestoredServer.TableChecksum);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_base_whose_stop_segment_the_archiver_fails_on_is_given_up_at_once_naming_the_segment()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster));
        await _sandbox.PgcadOnceAsync();
        // wal-push (as the service user) can no longer write into the cycle's spool: every archive_command fails
        var spool = Assert.Single(Directory.GetDirectories(cluster.DataDirectory + ".pgborg-spool"));
        File.SetUnixFileMode(spool, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var watch = Stopwatch.StartNew();
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once", "--new-cycle"], null, timeout: TimeSpan.FromMinutes(4));
        watch.Stop();
        File.SetUnixFileMode(spool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Matches("needs WAL up to [0-9A-F]{24}, but PostgreSQL's archiver failed on [0-9A-F]{24}", r.Stderr);
        // the old wait gave up after a fixed 2 minutes, after the base, without saying why; the new one gives up 5 s
        // after the archiver's failures (the whole command: 7 s alone)
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"took {watch.Elapsed}");
        Assert.Equal([spool], Directory.GetDirectories(cluster.DataDirectory + ".pgborg-spool"));

        // once archiving works again, nothing of the failed cycle is left and the next round is healthy. After three
        // failures the archiver sleeps a minute; a reload wakes it (a pg_switch_wal does not: no WAL was written since
        // the base's switch, so it switches nothing and no new segment wakes the archiver)
        await cluster.SqlAsync("SELECT pg_reload_conf()");
        await cluster.SwitchAndWaitArchivedAsync();
        await _sandbox.PgcadOnceAsync();
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        Assert.All(cycles, c => Assert.True(c.Base is not null, $"cycle {c.Stamp} has no base"));
    }

    private async Task<List<string>> WalArchivesInAsync(bool wal)
    {
        var r = wal ? await _sandbox.WalBorgAsync("list", "--short") : await _sandbox.BorgAsync("list", "--short");
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n.Contains("~wal~", StringComparison.Ordinal)).ToList();
    }
}
