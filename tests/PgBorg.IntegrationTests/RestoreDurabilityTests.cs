using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// pgcarestore says "restored" only once what it restored is on disk, as pg_basebackup and pgBackRest do. A real power
/// cut cannot be staged here (no device-mapper in this kernel for dm-flakey), so the published binary runs under
/// strace and the order of its system calls is checked: every Borg and chown process it started has exited, then the
/// filesystem is synced (syncfs), then the complete directory is renamed into place and its parent directory fsynced.
/// </summary>
public sealed partial class RestoreDurabilityTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();
    private readonly TempDir _target = new("pgborg-durable");
    private string Data => Path.Combine(_target.Path, "data");

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await ArchivedWorkload.CreateAsync(_cluster, _sandbox, switches: 2);
    }

    public async ValueTask DisposeAsync()
    {
        await WalExtractors.KillUnderAsync(_target.Path);
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
        _target.Dispose();
    }

    [GeneratedRegex(@"^(\d+)\s+execve\(""[^""]*"", \[""(?:[^""]*/)?(borg|chown)""")]
    private static partial Regex Started();

    [GeneratedRegex(@"^(\d+)\s+\+\+\+ (exited with|killed by)")]
    private static partial Regex Exited();

    [Fact(Timeout = 300_000)]
    public async Task The_restore_is_synced_to_disk_before_it_is_renamed_into_place_and_reported()
    {
        Assert.Equal("0", (await Run.CheckedAsync("/usr/bin/id", "-u")).Trim()); // as root, as the suite runs: the final chown -R is part of it
        var trace = Path.Combine(_target.Path, "strace.out");
        var r = await _sandbox.PgBorgAsync(
            ["-f", "-q", "-y", "-s", "512", "--seccomp-bpf", "-e", "trace=execve,syncfs,fsync,?rename,renameat,renameat2", "-o", trace,
             PgBorgBinary.Path, "pgcarestore", "restore", "--target-dir", Data],
            null, timeout: TimeSpan.FromMinutes(3), program: "/usr/bin/strace");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(Data, "PG_VERSION")));
        var lines = await File.ReadAllLinesAsync(trace);

        // the rename of the complete staging directory into place
        var staging = $"{Data}.pgborg-extract-";
        var renamed = Array.FindIndex(lines, l => l.Contains($"\"{staging}", StringComparison.Ordinal) && l.Contains($"\"{Data}\"", StringComparison.Ordinal) && l.Contains("rename", StringComparison.Ordinal) && l.EndsWith("= 0", StringComparison.Ordinal));
        Assert.True(renamed > 0, "no rename of the staging directory into place:\n" + string.Join('\n', lines.Where(l => l.Contains("rename", StringComparison.Ordinal))));

        // every borg extract and chown started before it has exited before the last syncfs ahead of it
        var children = lines.Take(renamed).Select(l => Started().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains(lines.Take(renamed), l => l.Contains("\"extract\"", StringComparison.Ordinal) && Started().IsMatch(l));
        var lastExit = lines.Select((l, i) => (l, i)).Take(renamed)
            .Where(x => Exited().Match(x.l) is { Success: true } m && children.Contains(m.Groups[1].Value)).Select(x => x.i).DefaultIfEmpty(-1).Max();
        Assert.True(lastExit > 0, "the Borg and chown processes were not seen to exit before the rename");
        Assert.DoesNotContain(lines.Skip(renamed), l => Exited().Match(l) is { Success: true } m && children.Contains(m.Groups[1].Value));
        var synced = lines.Select((l, i) => (l, i)).Where(x => x.i > lastExit && x.i < renamed
            && x.l.Contains($"syncfs(", StringComparison.Ordinal) && x.l.Contains($"<{staging}", StringComparison.Ordinal) && x.l.EndsWith("= 0", StringComparison.Ordinal)).ToList();
        Assert.True(synced.Count > 0, "no syncfs of the staging directory's filesystem between the last extract/chown and the rename:\n"
            + string.Join('\n', lines.Where(l => l.Contains("syncfs", StringComparison.Ordinal)).TakeLast(5)));

        // the rename itself made durable: fsync of the target's parent directory afterwards
        Assert.Contains(lines.Skip(renamed + 1), l => l.Contains("fsync(", StringComparison.Ordinal) && l.Contains($"<{_target.Path}>)", StringComparison.Ordinal) && l.EndsWith("= 0", StringComparison.Ordinal));
    }
}
