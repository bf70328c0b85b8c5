using System.Text.Json;
using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// README's "Break glass: restore without pgborg", run as it stands: its shell blocks are read from README.md and
/// run through bash with Borg and PostgreSQL alone, so the documented commands and the test cannot drift apart.
/// </summary>
public sealed partial class BreakGlassTests : IDisposable
{
    private const string Heading = "## Break glass: restore without pgborg";
    private const string Checksum = "SELECT count(*) || '/' || md5(string_agg(id || ':' || payload, ',' ORDER BY id)) FROM ";

    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [GeneratedRegex(@"^```sh\n(.*?)^```$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"^(?:export )?([A-Z_]+)=", RegexOptions.Multiline)]
    private static partial Regex Assignment();

    /// <summary>The section's shell blocks: the first sets the placeholders, the others are the commands.</summary>
    private static List<string> SectionBlocks()
    {
        var readme = File.ReadAllText(Path.Combine(SourceTree.Root, "README.md"));
        var start = readme.IndexOf("\n" + Heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no section \"{Heading}\"");
        var end = readme.IndexOf("\n## ", start + Heading.Length, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        return ShellBlock().Matches(section).Select(m => m.Groups[1].Value).ToList();
    }

    [Fact(Timeout = 300_000)]
    public async Task A_direct_base_with_a_tablespace_restores_exactly_with_the_readme_commands_alone()
    {
        var blocks = SectionBlocks();
        Assert.True(blocks.Count >= 2, $"the section has {blocks.Count} shell block(s): the placeholders, then the commands");

        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        // a space in the path: the README's loop over tablespace_map must keep it
        var location = Path.Combine(cluster.Root, "tablespace one");
        Directory.CreateDirectory(location);
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", location);
        await cluster.SqlAsync($"CREATE TABLESPACE ts_one LOCATION '{location}'");
        await cluster.SqlAsync("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 20000) g; "
            + "CREATE TABLE in_ts TABLESPACE ts_one AS SELECT g AS id, md5((-g)::text) AS payload FROM generate_series(1, 30000) g");
        var oid = await cluster.SqlAsync("SELECT oid FROM pg_tablespace WHERE spcname = 'ts_one'");
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "direct"));
        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());
        // the map was in the live data directory only while Borg read it
        Assert.False(File.Exists(Path.Combine(cluster.DataDirectory, "tablespace_map")));

        var cycle = Assert.Single(await new ArchiveInspector(_sandbox).CyclesAsync(), c => c.Base is not null);
        var meta = cycle.Base!.Value;
        Assert.Equal("direct", meta.GetProperty("method").GetString());
        var baseArchive = (await _sandbox.ArchiveNamesAsync()).Single(n => n.Contains("~base~", StringComparison.Ordinal));
        var label = meta.GetProperty("backupLabel").GetString()!;
        var map = meta.GetProperty("tablespaceMap").GetString()!;
        Assert.Equal($"{oid} {location}\n", map);
        // both files at the data directory's root of the base archive, the service user's, 0600, as the comment has them
        var listed = await _sandbox.BorgAsync("list", "--format", "{mode} {user} {path}{NL}", "::" + baseArchive, "backup_label", "tablespace_map");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Equal(["-rw------- postgres backup_label", "-rw------- postgres tablespace_map"], listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal(label, await ExtractedAsync(baseArchive, "backup_label"));
        Assert.Equal(map, await ExtractedAsync(baseArchive, "tablespace_map"));

        var expectedT = await cluster.SqlAsync(Checksum + "t");
        var expectedInTs = await cluster.SqlAsync(Checksum + "in_ts");
        // the tablespace goes back where it was: the source is stopped and its tablespace moved aside
        await cluster.StopAsync();
        Directory.Move(location, location + ".source");

        using var restore = new TempDir("pgborg-breakglass");
        var host = baseArchive.Split('~')[0];
        var placeholders = new Dictionary<string, string>
        {
            ["BORG_PASSPHRASE"] = Sandbox.Passphrase,
            ["REPO"] = _sandbox.Repository,
            ["WALREPO"] = _sandbox.WalRepository,
            ["HOST"] = host,
            ["INSTANCE"] = "main",
            ["PGDATA"] = restore.Sub("data"),
            ["WALDIR"] = restore.Sub("wal"),
            ["OWNER"] = "postgres",
        };
        Assert.Equal(placeholders.Keys.Order(), Assignment().Matches(blocks[0]).Select(m => m.Groups[1].Value).Order());
        var env = new Dictionary<string, string>(placeholders)
        {
            // a machine without pgborg's state: Borg's keys, cache and security files start empty
            ["BORG_BASE_DIR"] = restore.Sub("borg"),
            ["LANG"] = "C.UTF-8",
            ["LC_ALL"] = "C.UTF-8",
        };
        var script = string.Join("\n", blocks.Skip(1));
        var ran = await Run.ProgramAsync("/bin/bash", ["-euo", "pipefail", "-c", script], env, timeout: TimeSpan.FromMinutes(3));
        Assert.True(ran.ExitCode == 0, ran.ToString());

        await using var server = await RestoredServer.StartAsync(restore.Sub("data"), PostgresCluster.NextFreePort());
        await server.WaitPromotedAsync();
        Assert.Equal(expectedT, await server.SqlAsync(Checksum + "t"));
        Assert.Equal(expectedInTs, await server.SqlAsync(Checksum + "in_ts"));
        Assert.Equal(location, await server.SqlAsync("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'ts_one'"));
        // PostgreSQL started from the extracted label (and renamed it), not from pg_control's checkpoint
        Assert.Equal(label, await File.ReadAllTextAsync(Path.Combine(restore.Sub("data"), "backup_label.old")));
        Assert.False(File.Exists(Path.Combine(restore.Sub("data"), "backup_label")));
    }

    private async Task<string> ExtractedAsync(string archive, string path)
    {
        var r = await _sandbox.BorgAsync("extract", "--stdout", "::" + archive, path);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout;
    }
}
