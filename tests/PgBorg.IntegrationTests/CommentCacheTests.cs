using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// The WAL archives' comments (the WAL index) are read from Borg once and then from the state directory's cache: a
/// second listing, and pgcad's start, read no comment from the WAL repository, an archive added since is read alone
/// (the newest archives), a comment replaced by <c>borg recreate</c> is read again, and a damaged cache costs only time.
/// <c>PGBORG_COMMENT_CACHE_FROM=0</c> makes every listing use the cache, which by default only listings of 20,000
/// archives or more do.
/// </summary>
public sealed class CommentCacheTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly FakeBin _bin = new(new Dictionary<string, string>());

    public void Dispose()
    {
        _bin.Dispose();
        _sandbox.Dispose();
    }

    private string CallLog => _sandbox.Sub("borg-calls.log");

    [Fact(Timeout = 600_000)]
    public async Task WAL_comments_come_from_the_cache_and_one_replaced_by_recreate_is_read_again()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await cluster.SqlAsync("CREATE TABLE t (id int)");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster));
        await _sandbox.PgcadOnceAsync();
        await cluster.SqlAsync("INSERT INTO t SELECT generate_series(1, 100); SELECT pg_create_restore_point('plain-one')");
        await cluster.SwitchAndWaitArchivedAsync();
        await _sandbox.PgcadOnceAsync();
        // a thin wrapper around the real borg: which repository each call opened, and its arguments
        var borg = _bin.Script("borg",
            $"printf '%s\\t%s\\n' \"$BORG_REPO\" \"$*\" >> {CallLog}\nexec /usr/bin/borg \"$@\"");
        var env = new Dictionary<string, string> { ["PGBORG_BORG"] = borg, ["PGBORG_COMMENT_CACHE_FROM"] = "0" };

        Assert.Contains("plain-one", PointsFromWal(await ListAsync(env)));
        var cache = Assert.Single(Directory.GetFiles(Path.Combine(_sandbox.StateDirectory, "comment-cache"), "*.json"),
            f => File.ReadAllText(f).Contains("plain-one", StringComparison.Ordinal));

        // warm: names from the manifest, not one comment from the WAL repository
        File.Delete(CallLog);
        Assert.Contains("plain-one", PointsFromWal(await ListAsync(env)));
        var walLists = WalListCalls();
        Assert.True(walLists.Count == 1 && !walLists[0].Contains("{comment}", StringComparison.Ordinal), string.Join("\n", walLists));

        // pgcad's start (at any archive count): the WAL repository's names, and the comments of the cycles it works with
        // from the cache, none from Borg
        File.Delete(CallLog);
        var once = await _sandbox.PgBorgAsync(["pgcad", "--once"], new Dictionary<string, string> { ["PGBORG_BORG"] = borg },
            timeout: TimeSpan.FromMinutes(4));
        Assert.True(once.ExitCode == 0, once.ToString());
        walLists = WalListCalls();
        Assert.True(walLists.Count >= 1 && walLists.All(l => !l.Contains("{comment}", StringComparison.Ordinal)), string.Join("\n", walLists));

        // the archive's comment replaced (its id changes with it): read again, the point is gone
        var holder = (await new ArchiveInspector(_sandbox).ArchivesAsync())
            .Single(a => a.Name.Split('~')[3] == "wal" && a.Comment.Contains("plain-one", StringComparison.Ordinal));
        var comment = JsonNode.Parse(holder.Comment)!.AsObject();
        foreach (var segment in comment["segments"]!.AsArray())
        {
            segment!.AsObject().Remove("restorePoints");
        }
        var escaped = comment.ToJsonString().Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
        var recreate = await _sandbox.WalBorgAsync("recreate", "--comment", escaped, "::" + holder.Name);
        Assert.True(recreate.ExitCode == 0, recreate.ToString());
        Assert.DoesNotContain("plain-one", PointsFromWal(await ListAsync(env)));

        // an archive added since: read with the newest archives only
        await cluster.SqlAsync("INSERT INTO t SELECT generate_series(1, 100); SELECT pg_create_restore_point('plain-two')");
        await cluster.SwitchAndWaitArchivedAsync();
        await _sandbox.PgcadOnceAsync();
        File.Delete(CallLog);
        Assert.Contains("plain-two", PointsFromWal(await ListAsync(env)));
        walLists = WalListCalls();
        Assert.True(walLists.Count == 2 && walLists[1].Contains("{comment}", StringComparison.Ordinal), string.Join("\n", walLists));
        // the newest few (what pgcad added, and a margin of 32), not the whole repository
        var last = Regex.Match(walLists[1], @"--last (\d+)");
        Assert.True(last.Success && int.Parse(last.Groups[1].Value) <= 40, walLists[1]);

        // a damaged cache: everything is read again, nothing is wrong
        await File.WriteAllTextAsync(cache, "{\"archives\": 3, \"comm");
        var points = PointsFromWal(await ListAsync(env));
        Assert.Contains("plain-two", points);
        Assert.DoesNotContain("plain-one", points);
        var info = await _sandbox.PgBorgAsync(["pgcarestore", "info"], env);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("plain-two", info.Stdout);
    }

    private async Task<string> ListAsync(Dictionary<string, string> env)
    {
        var r = await _sandbox.PgBorgAsync(["pgbuptool", "list"], env);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout;
    }

    /// <summary>The names of the points <c>pgbuptool list</c> found in the WAL (plain SQL), not recorded by pgbuptool.</summary>
    private static List<string> PointsFromWal(string stdout) =>
        [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).Where(f => f[^1] == "wal").Select(f => f[0])];

    /// <summary>The arguments of each <c>borg list</c> of the WAL repository since the log was last deleted.</summary>
    private List<string> WalListCalls() =>
        [.. File.ReadAllLines(CallLog).Select(l => l.Split('\t', 2))
            .Where(f => f[0] == _sandbox.WalRepository && f[1].StartsWith("list ", StringComparison.Ordinal)).Select(f => f[1])];
}
