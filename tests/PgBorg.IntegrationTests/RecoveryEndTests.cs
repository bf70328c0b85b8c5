using System.Diagnostics;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// <c>recovery_end_command</c> (<c>wal-fetch --end</c>, run by PostgreSQL as the service user) when recovery reached its
/// target while the background WAL extractor still hands files to its agent, which writes them into the restore area:
/// it waits until the agent lets go of the area's lock, then removes the whole area, with nothing written after.
/// The agent is played by <c>flock</c> on its lock file, as the service user, finishing one last file when it ends.
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
        // a file the agent is still receiving
        var part = Path.Combine(area, "000000010000000000000009.pgborg-part");
        await File.WriteAllTextAsync(part, "half received");
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", data);

        var lockFile = Path.Combine(area, "extractor.lock");
        var ended = Path.Combine(area, "ended");
        var agent = Process.Start(new ProcessStartInfo("/usr/sbin/runuser")
        {
            ArgumentList =
            {
                "-u", "postgres", "--", "/usr/bin/flock", "-x", lockFile, "/bin/bash", "-c",
                $"touch {lockFile}.held; while [ ! -e {ended} ]; do sleep 0.1; done; sleep 1; mv {part} {part[..^".pgborg-part".Length]}",
            },
            UseShellExecute = false,
        })!;
        try
        {
            await Eventually.AssertAsync(() => File.Exists(lockFile + ".held"), TimeSpan.FromSeconds(10),
                "the stand-in agent did not take its lock");

            var r = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "wal-fetch", "--end"],
                workingDirectory: data, timeout: TimeSpan.FromSeconds(60));
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.False(Directory.Exists(area), "the restore area is removed when recovery ends");
            Assert.True(agent.WaitForExit(10_000));
            Assert.False(Directory.Exists(area), "nothing was written into the area after it was removed");
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
                agent.WaitForExit();
            }
            agent.Dispose();
        }
    }
}
