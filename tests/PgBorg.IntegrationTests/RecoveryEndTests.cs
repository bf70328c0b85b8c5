using System.Diagnostics;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// <c>recovery_end_command</c> (<c>wal-fetch --end</c>, run by PostgreSQL as the service user) when recovery reached its
/// target while the background WAL extractor (root) still extracts a batch into its staging directory, which the
/// service user cannot empty: it waits for the extractor to stop and clean up, then removes the whole restore area.
/// The extractor is played by <c>flock</c> on its lock file, as root, doing what the extractor does when it ends.
/// </summary>
public sealed class RecoveryEndTests : IDisposable
{
    private readonly TempDir _dir = new("pgborg-end");

    public void Dispose() => _dir.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Recovery_end_waits_for_a_running_extractor_and_then_removes_the_restore_area()
    {
        var data = _dir.Sub("data");
        var area = Path.Combine(data, "pgborg_restore");
        Directory.CreateDirectory(area);
        await File.WriteAllTextAsync(Path.Combine(area, "000000010000000000000004"), "delivered, not yet replayed");
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", data);
        // root's staging directory with a batch being extracted, readable by the service user but not removable
        var batch = Path.Combine(area, ".incoming", "3");
        Directory.CreateDirectory(batch);
        await File.WriteAllTextAsync(Path.Combine(batch, "000000010000000000000009"), "half extracted");

        var lockFile = Path.Combine(area, "extractor.lock");
        var ended = Path.Combine(area, "ended");
        var extractor = Process.Start(new ProcessStartInfo("/usr/bin/flock")
        {
            ArgumentList =
            {
                "-x", lockFile, "/bin/bash", "-c",
                $"touch {lockFile}.held; while [ ! -e {ended} ]; do sleep 0.1; done; sleep 1; rm -rf {area}/.incoming",
            },
            UseShellExecute = false,
        })!;
        try
        {
            await Eventually.AssertAsync(() => File.Exists(lockFile + ".held"), TimeSpan.FromSeconds(10),
                "the stand-in extractor did not take its lock");

            var r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "wal-fetch", "--end"],
                workingDirectory: data, timeout: TimeSpan.FromSeconds(60));
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.False(Directory.Exists(area), "the restore area is removed when recovery ends");
            Assert.True(extractor.WaitForExit(10_000));
        }
        finally
        {
            if (!extractor.HasExited)
            {
                extractor.Kill(entireProcessTree: true);
                extractor.WaitForExit();
            }
            extractor.Dispose();
        }
    }
}
