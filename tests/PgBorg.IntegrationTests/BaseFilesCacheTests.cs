using System.Security.Cryptography;
using System.Text.Json;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// A second base reads only what changed: Borg's files cache on a stable snapshot path. A relation file that was
/// rewritten in place (same size, and for reflink even its mtime set back) is read again and restores with its new
/// content; a relation file nobody touched is not read at all (Borg's status U).
/// </summary>
public sealed class BaseFilesCacheTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly TempDir _logs = new("pgborg-borg-list");

    public void Dispose()
    {
        _logs.Dispose();
        _sandbox.Dispose();
    }

    /// <summary>
    /// A borg that also lists every file it stores with its status (A added, M modified, U unchanged = not read): without
    /// pgborg's --filter (which lists only the backup_label it feeds through stdin), and passing each line on at once
    /// (pgborg writes that label when Borg's line says it reads it).
    /// </summary>
    private string ListingBorg(FakeBin bin) => bin.Script("borg", $$"""
        if [ "$1" = create ]; then
          shift
          log="{{_logs.Path}}/create-$(date +%s%N).log"
          printf '%s\n' "$*" > "$log"
          args=()
          while [ $# -gt 0 ]; do
            if [ "$1" = --filter ]; then shift 2; continue; fi
            args+=("$1")
            shift
          done
          /usr/bin/borg create --list "${args[@]}" 2> >(tee -a "$log" >&2)
          rc=$?
          wait $!
          exit $rc
        fi
        exec /usr/bin/borg "$@"
        """);

    /// <summary>The status Borg gave each file of each base (data directory) archive, oldest first.</summary>
    private List<Dictionary<string, string>> BaseListings() =>
        Directory.GetFiles(_logs.Path, "create-*.log").Order(StringComparer.Ordinal)
            .Select(File.ReadAllLines)
            .Where(lines => lines[0].Contains("~base~", StringComparison.Ordinal))
            .Select(lines => lines.Skip(1)
                .Where(l => l.StartsWith('{'))
                .Select(l => JsonDocument.Parse(l).RootElement)
                .Where(j => j.GetProperty("type").GetString() == "file_status")
                .ToDictionary(j => j.GetProperty("path").GetString()!, j => j.GetProperty("status").GetString()!))
            .ToList();

    private async Task<string> FileHashInArchiveAsync(string archive, string path)
    {
        var r = await _sandbox.BorgAsync("list", "--format", "{sha256}{NL}", "::" + archive, path);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Trim();
    }

    private static async Task<string> StatAsync(string format, string path) => (await Run.CheckedAsync("/usr/bin/stat", "-c", format, path)).Trim();

    private static string FileHash(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Theory(Timeout = 420_000)]
    [InlineData("btrfs")]
    [InlineData("xfs")]
    public async Task A_second_base_skips_an_untouched_relation_and_reads_one_rewritten_in_place_with_the_same_size_and_mtime(string filesystem)
    {
        await using var fs = await LoopFilesystem.CreateAsync(filesystem);
        if (filesystem == "btrfs")
        {
            await Run.CheckedAsync("/usr/bin/btrfs", "subvolume", "create", fs.Sub("pgdata"));
        }
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "autovacuum = off\n", fs.Sub("pgdata"));
        // cold: written once and settled (hint bits, visibility map) before the first base; hot: room on every page
        // (fillfactor 50) so updates stay on their page and the file keeps its size
        await cluster.SqlAsync("""
            CREATE TABLE cold AS SELECT g, md5(g::text) AS t FROM generate_series(1, 50000) g;
            CREATE TABLE hot (g int, t text) WITH (fillfactor = 50);
            INSERT INTO hot SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
            """);
        await cluster.SqlAsync("VACUUM FREEZE cold");
        await cluster.SqlAsync("VACUUM FREEZE hot");
        await cluster.SqlAsync("CHECKPOINT");
        var coldPath = await cluster.SqlAsync("SELECT pg_relation_filepath('cold')");
        var hotPath = await cluster.SqlAsync("SELECT pg_relation_filepath('hot')");
        var hotFile = Path.Combine(cluster.DataDirectory, hotPath);
        // reflink keys a file by its ctime once that is older than the copy by a margin (2 s)
        await Task.Delay(3000);

        using var bin = new FakeBin(new Dictionary<string, string>());
        var env = new Dictionary<string, string> { ["PGBORG_BORG"] = ListingBorg(bin) };
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "auto"));
        var first = await _sandbox.PgBorgAsync(["pgcad", "--once"], env, timeout: TimeSpan.FromMinutes(4));
        Assert.True(first.ExitCode == 0, first.ToString());

        var sizeBefore = new FileInfo(hotFile).Length;
        var mtimeBefore = await StatAsync("%.9Y", hotFile);
        var reference = Path.Combine(_logs.Path, "mtime-reference");
        await Run.CheckedAsync("/usr/bin/touch", "-r", hotFile, reference);
        var hashBefore = FileHash(hotFile);
        await cluster.SqlAsync("UPDATE hot SET t = 'changed' WHERE g % 100 = 0");
        await cluster.SqlAsync("SELECT count(*) FROM hot");
        await cluster.SqlAsync("CHECKPOINT");
        Assert.Equal(sizeBefore, new FileInfo(hotFile).Length);
        // what a file restored with rsync -a or a careless touch looks like: only ctime tells it changed
        await Run.CheckedAsync("/usr/bin/touch", "-m", "-r", reference, hotFile);
        Assert.Equal(mtimeBefore, await StatAsync("%.9Y", hotFile));
        var hashChanged = FileHash(hotFile);
        Assert.NotEqual(hashBefore, hashChanged);

        var second = await _sandbox.PgBorgAsync(["pgcad", "--once", "--new-cycle"], env, timeout: TimeSpan.FromMinutes(4));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(hashChanged, FileHash(hotFile)); // nothing touched it during the base, so the base must hold exactly this

        var listings = BaseListings();
        Assert.Equal(2, listings.Count);
        Assert.Equal("A", listings[0][coldPath]);
        Assert.Equal("U", listings[1][coldPath]);
        Assert.Equal("M", listings[1][hotPath]);

        var bases = (await _sandbox.ArchiveNamesAsync()).Where(n => n.Contains("~base~", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, bases.Count);
        Assert.Equal(hashBefore, await FileHashInArchiveAsync(bases[0], hotPath));
        Assert.Equal(hashChanged, await FileHashInArchiveAsync(bases[1], hotPath));
        // a skipped file still is in the archive, whole
        Assert.Equal(await FileHashInArchiveAsync(bases[0], coldPath), await FileHashInArchiveAsync(bases[1], coldPath));
        Assert.Equal(FileHash(Path.Combine(cluster.DataDirectory, coldPath)), await FileHashInArchiveAsync(bases[1], coldPath));

        // the second base restores on its own, with the new rows
        using var restored = new TempDir("pgborg-filescache-restore");
        var data = Path.Combine(restored.Path, "data");
        var restore = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains($"extracting base {bases[1]} ", restore.Stdout);
        await using var server = await RestoredServer.StartAsync(data, 48001 + Environment.ProcessId % 500);
        await server.WaitPromotedAsync();
        Assert.Equal("200", await server.SqlAsync("SELECT count(*) FROM hot WHERE t = 'changed'"));
        Assert.Equal("50000", await server.SqlAsync("SELECT count(*) FROM cold"));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_base_read_from_the_live_directory_reads_every_file()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "autovacuum = off\n");
        await cluster.SqlAsync("CREATE TABLE cold AS SELECT g FROM generate_series(1, 50000) g; CHECKPOINT");
        var coldPath = await cluster.SqlAsync("SELECT pg_relation_filepath('cold')");
        using var bin = new FakeBin(new Dictionary<string, string>());
        var env = new Dictionary<string, string> { ["PGBORG_BORG"] = ListingBorg(bin) };
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "direct"));
        Assert.Equal(0, (await _sandbox.PgBorgAsync(["pgcad", "--once"], env, timeout: TimeSpan.FromMinutes(4))).ExitCode);
        Assert.Equal(0, (await _sandbox.PgBorgAsync(["pgcad", "--once", "--new-cycle"], env, timeout: TimeSpan.FromMinutes(4))).ExitCode);

        var listings = BaseListings();
        Assert.Equal(2, listings.Count);
        Assert.Equal("A", listings[1][coldPath]);
        Assert.DoesNotContain("U", listings[1].Values);
    }
}
