using System.Text.Json.Nodes;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// wal-fetch as PostgreSQL's restore_command, fetching from Borg as the service user: prefetching in batches,
/// exit 1 for "not in the archive", and above 125 for every real error so recovery stops instead of promoting early.
/// </summary>
public sealed class WalFetchTests(ArchivedSandbox fixture) : IClassFixture<ArchivedSandbox>, IAsyncLifetime
{
    private readonly Sandbox _sandbox = fixture.Sandbox;
    private readonly TempDir _target = new("pgborg-walfetch");
    private string Data => Path.Combine(_target.Path, "data");
    private string Context => Path.Combine(Data, "pgborg_restore", "context.json");

    public async ValueTask InitializeAsync()
    {
        // repositories the service user can read: wal-fetch then fetches from Borg itself
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", _sandbox.Repository, _sandbox.WalRepository);
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        // pgcarestore's background extractor delivers the WAL; these tests are about wal-fetch reading Borg itself,
        // as it does when no extractor runs (it stopped, or the restore could not start one): let it finish, then
        // take away everything it left
        await WalExtractors.WaitGoneAsync(_target.Path);
        Assert.Empty(WalExtractors.Under(_target.Path));
        var area = Path.Combine(Data, "pgborg_restore");
        Assert.True(File.Exists(Path.Combine(area, "extractor.done")), string.Join(" ", Directory.EnumerateFileSystemEntries(area)));
        foreach (var file in Directory.EnumerateFiles(area).Where(file => Path.GetFileName(file) != "context.json"))
        {
            File.Delete(file);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await WalExtractors.KillUnderAsync(_target.Path);
        _target.Dispose();
    }

    private Task<RunResult> FetchAsync(string name, string destination) =>
        Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "wal-fetch", name, destination], workingDirectory: Data);

    [Fact(Timeout = 300_000)]
    public async Task Fetching_from_Borg_prefetches_the_following_segments_and_recovery_works()
    {
        Assert.Equal("borg", JsonNode.Parse(await File.ReadAllTextAsync(Context))!["mode"]!.GetValue<string>());
        var segments = fixture.Segments;
        var destination = Path.Combine(Data, "pg_wal", "RECOVERYXLOG");
        var r = await FetchAsync(segments[0], destination);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(16 << 20, new FileInfo(destination).Length);
        File.Delete(destination);
        // the next segments of the same batch came with it
        Assert.True(File.Exists(Path.Combine(Data, "pgborg_restore", segments[1])));

        await using var server = await RestoredServer.StartAsync(Data, 46001 + Environment.ProcessId % 500);
        await server.WaitPromotedAsync();
        Assert.Equal(fixture.Rows.ToString(), await server.SqlAsync("SELECT count(*) FROM t"));
        Assert.False(Directory.Exists(Path.Combine(Data, "pgborg_restore")));
    }

    [Fact(Timeout = 300_000)]
    public async Task The_passphrase_is_kept_outside_the_data_directory_for_the_service_user_only_and_goes_when_recovery_ends()
    {
        foreach (var file in Directory.EnumerateFiles(Data, "*", SearchOption.AllDirectories))
        {
            Assert.False((await File.ReadAllTextAsync(file)).Contains(Sandbox.Passphrase, StringComparison.Ordinal), $"{file} holds the passphrase");
        }
        var credentials = JsonNode.Parse(await File.ReadAllTextAsync(Context))!["credentials"]!.GetValue<string>();
        Assert.Equal(Data + ".pgborg-restore", Path.GetDirectoryName(credentials));
        Assert.Contains(Sandbox.Passphrase, await File.ReadAllTextAsync(credentials));
        Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(credentials), 8));
        Assert.Equal("700", Convert.ToString((int)File.GetUnixFileMode(Path.GetDirectoryName(credentials)!), 8));
        var postgres = uint.Parse((await Run.CheckedAsync("/usr/bin/id", "-u", "postgres")).Trim());
        Assert.Equal(postgres, PgBorg.Processes.FileStatus.Of(credentials)?.Uid);

        await using (var server = await RestoredServer.StartAsync(Data, 46601 + Environment.ProcessId % 300))
        {
            await server.WaitPromotedAsync();
            Assert.Equal(fixture.Rows.ToString(), await server.SqlAsync("SELECT count(*) FROM t"));
        }
        Assert.False(File.Exists(credentials));
    }

    // one test for both kinds of file, not a theory: each case would pay for its own restore
    [Fact(Timeout = 120_000)]
    public async Task A_history_file_or_a_segment_not_in_the_archive_exits_1()
    {
        foreach (var name in new[] { "00000009.history", "0000000100000000000000FF" })
        {
            var r = await FetchAsync(name, Path.Combine(_target.Path, "x"));
            Assert.True(r.ExitCode == 1, $"{name}: {r}");
            Assert.False(File.Exists(Path.Combine(_target.Path, "x")));
        }
    }

    [Theory(Timeout = 120_000)]
    [InlineData("passphrase", "wrong passphrase")]
    [InlineData("repository", "failed")]
    public async Task A_real_error_exits_above_125_so_recovery_stops(string field, string message)
    {
        var context = JsonNode.Parse(await File.ReadAllTextAsync(Context))!;
        var credentialsPath = context["credentials"]!.GetValue<string>();
        var credentials = JsonNode.Parse(await File.ReadAllTextAsync(credentialsPath))!;
        if (field == "passphrase")
        {
            credentials["passphrase"] = "not the passphrase";
        }
        else
        {
            context["repository"] = "ssh://nobody@127.0.0.1:1/./repo";
            context["walRepository"] = "ssh://nobody@127.0.0.1:1/./repo-wal";
        }
        credentials["environment"]!["BORG_RSH"] = "ssh -o BatchMode=yes -o ConnectTimeout=5";
        await File.WriteAllTextAsync(Context, context.ToJsonString());
        await File.WriteAllTextAsync(credentialsPath, credentials.ToJsonString());
        var segments = fixture.Segments;
        var r = await FetchAsync(segments[^1], Path.Combine(_target.Path, "x"));
        Assert.True(r.ExitCode > 125, r.ToString());
        Assert.Contains(message, r.Stderr);
    }
}
