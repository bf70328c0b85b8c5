using System.Diagnostics;
using System.Text;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// kill -9 of pgcad (and of everything it started: its whole process group, as a power cut would) at the moments
/// that matter, then a restart: no WAL lost, nothing left behind — no backup mode, no snapshot, no checkpoint archive.
/// The crash points are split between <see cref="ArchiveCrashTests"/> (WAL) and <see cref="BaseCrashTests"/> (bases):
/// a class's tests run one after another, and all eight in one class took five minutes of one thread.
/// </summary>
public abstract class CrashDrill : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose()
    {
        _sandbox.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A base failed (its comment not set), its spool removed, its archives not deleted yet.</summary>
    protected const string AbandonPoint = "abandon-before-delete";

    /// <summary>
    /// A cluster on XFS archived with reflink snapshots and windows of a second (every round consolidates what it
    /// stored, so consolidation is among the crash points); pgcad killed at <paramref name="point"/> (a fault point, or
    /// <c>borg:PATTERN</c> / <c>borg-cwd:DIR</c> for a Borg create frozen mid-way), two rounds after it, then the checks.
    /// </summary>
    protected async Task CrashAndRecoverAsync(string point)
    {
        await using var fs = await LoopFilesystem.CreateAsync("xfs");   // a real reflink snapshot to leave behind
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf, fs.Sub("pgdata"));
        await cluster.SqlAsync("CREATE TABLE t (id serial, v text)");
        // windows of a second: every round consolidates what it stored, so consolidation is among the crash points
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "reflink", extraArchive: "wal_consolidation = \"1s\""));
        await _sandbox.PgcadOnceAsync();
        await WorkAsync(cluster);

        var env = new Dictionary<string, string> { ["PGBORG_CONFIG"] = _sandbox.ConfigPath };
        using var bin = new FakeBin(new Dictionary<string, string>());
        var marker = Path.Combine(bin.Path, "borg-stopped");
        if (point.StartsWith("borg-cwd:", StringComparison.Ordinal))
        {
            // a Borg that freezes mid-create when run in the matching directory (a consolidation, not an ingest)
            env["PGBORG_BORG"] = bin.Script("borg", $"""
                if [ "$1" = create ] && [[ "$PWD" == *"{point[9..]}" ]]; then
                  /usr/bin/borg "$@" <&0 & pid=$!
                  sleep 0.5; kill -STOP $pid; echo $pid > '{marker}'; wait $pid; exit $?
                fi
                exec /usr/bin/borg "$@"
                """);
        }
        else if (point.StartsWith("borg:", StringComparison.Ordinal))
        {
            // a Borg that freezes mid-create (SIGSTOP) once it has started on the matching archive
            env["PGBORG_BORG"] = bin.Script("borg", $"""
                if [ "$1" = create ] && [[ "$*" == *"{point[5..]}"* ]]; then
                  /usr/bin/borg "$@" <&0 & pid=$!
                  sleep 0.5; kill -STOP $pid; echo $pid > '{marker}'; wait $pid; exit $?
                fi
                exec /usr/bin/borg "$@"
                """);
        }
        else
        {
            env["PGBORG_FAULT_POINT"] = point;
        }
        if (point == AbandonPoint)
        {
            // the base is stored with its WAL up to the stop segment, then marking it complete fails as a cut
            // connection would: pgcad abandons the cycle and is killed before deleting its archives
            env["PGBORG_BORG"] = bin.Script("borg", """
                if [ "$1" = recreate ] && [[ "$*" == *"~base~"* ]]; then echo "Connection closed by remote host" >&2; exit 2; fi
                exec /usr/bin/borg "$@"
                """);
        }
        var crashed = await CrashAtAsync(env, point.StartsWith("borg", StringComparison.Ordinal) ? () => File.Exists(marker) : null);
        Assert.True(crashed, $"pgcad never reached {point}");

        (string Stamp, int Archives)? failed = point == AbandonPoint ? await FailedCycleAsync(cluster) : null;

        // PostgreSQL goes on archiving into the spools while pgcad is down
        var last = await WorkAsync(cluster);
        var round = await _sandbox.PgcadOnceAsync();
        if (failed is not null)
        {
            Assert.Contains($"main: deleted the {failed.Value.Archives} archive(s) left by cycle {failed.Value.Stamp}, whose base failed "
                + "(its WAL is held by a complete cycle)", round.Stderr);
        }
        last = await WorkAsync(cluster);
        await _sandbox.PgcadOnceAsync();

        await LeftBehind.AssertNothingAsync(_sandbox, cluster);
        Assert.Single(Directory.GetDirectories(cluster.SpoolRoot));
        await new ArchiveInspector(_sandbox).AssertNoSegmentMissingAsync(last, everyBaseComplete: true);
        // and nothing doubled: no WAL archive of a cycle is a copy of part of another (a consolidation left half-done)
        var wal = (await new ArchiveInspector(_sandbox).WalArchivesAsync()).ToList();
        foreach (var a in wal)
        {
            Assert.False(wal.Any(b => b.Name != a.Name && b.Cycle == a.Cycle && a.Files.IsSubsetOf(b.Files)), $"{a.Name} is contained in another archive of its cycle");
        }
        if (failed is not null)
        {
            var verify = await _sandbox.PgBorgAsync(["verify"], null, timeout: TimeSpan.FromMinutes(4));
            Assert.True(verify.ExitCode == 0, verify.ToString());
        }
    }

    /// <summary>The abandoned cycle as the crash left it: an incomplete base and WAL archives, no spool. Its stamp and archive count.</summary>
    private async Task<(string Stamp, int Archives)> FailedCycleAsync(PostgresCluster cluster)
    {
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        var failed = Assert.Single(cycles, c => c.Base is null || !c.Base.Value.GetProperty("complete").GetBoolean());
        Assert.NotNull(failed.Base);
        Assert.NotEmpty(failed.WalArchives);
        Assert.False(Directory.Exists(Path.Combine(cluster.DataDirectory + ".pgborg-spool", failed.Stamp)), "the failed cycle's spool is left");
        return (failed.Stamp, failed.WalArchives.Count + failed.TablespaceArchives.Count + 1);
    }

    /// <summary>Some writes and a WAL switch; waits until PostgreSQL archived the finished segment. Returns its name.</summary>
    private static async Task<string> WorkAsync(PostgresCluster cluster)
    {
        await cluster.SqlAsync("INSERT INTO t (v) SELECT md5(g::text) FROM generate_series(1, 20000) g");
        return await cluster.SwitchAndWaitArchivedAsync();
    }

    /// <summary>Starts pgcad --once --new-cycle in its own process group and kill -9s the group at the fault point.</summary>
    private static async Task<bool> CrashAtAsync(Dictionary<string, string> env, Func<bool>? reached)
    {
        var psi = new ProcessStartInfo("/usr/bin/setsid") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { PgBorgBinary.Path, "pgcad", "--once", "--new-cycle" })
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        p.BeginErrorReadLine();
        _ = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var ok = false;
        for (var i = 0; i < 1200 && !p.HasExited; i++)
        {
            lock (stderr)
            {
                ok = reached?.Invoke() ?? stderr.ToString().Contains("PGBORG-FAULT-POINT");
            }
            if (ok)
            {
                break;
            }
            await Task.Delay(100);
        }
        await Run.ProgramAsync("/bin/kill", ["-KILL", "--", "-" + p.Id]);
        await p.WaitForExitAsync();
        if (!ok)
        {
            throw new InvalidOperationException("pgcad ended before the fault point: " + stderr);
        }
        return ok;
    }
}
