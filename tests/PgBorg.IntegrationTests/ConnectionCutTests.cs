using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Issue 13, drill 4: the connection to a remote repository is cut (the stand-in's <c>borg serve</c> killed) in the
/// middle of a WAL batch's create and again in the middle of a base's, while pgbench writes and pgcad runs as a daemon.
/// The killed serve leaves its repository lock behind; Borg breaks it only because its process is gone (Borg's own
/// stale-lock check), the batch is retried, a new base follows, and no checkpoint archive or lock remains.
/// </summary>
public sealed class ConnectionCutTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact(Timeout = 900_000)]
    public async Task A_borg_serve_killed_mid_create_is_retried_and_leaves_no_checkpoint_or_lock()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
        await PgBench.InitAsync(cluster);
        var ssh = new SshStandIn(_sandbox);
        _sandbox.WriteConfig(ssh.Remote(_sandbox.ArchiveConfig(cluster), _sandbox.Repository));

        // a Borg client that freezes (SIGSTOP) in the create of the armed kind, so the test can cut its connection
        using var bin = new FakeBin(new Dictionary<string, string>());
        var frozen = Path.Combine(bin.Path, "frozen");
        // (once its serve holds the repository's lock: the create is under way)
        var borg = bin.Script("borg", $"""
            if [ "$1" = create ]; then
              for kind in wal base; do
                if [[ "$*" == *"~$kind~"* ]] && rm '{bin.Path}/armed-'$kind 2>/dev/null; then
                  if [ $kind = wal ]; then lock='{_sandbox.WalRepository}/lock.exclusive'; else lock='{_sandbox.Repository}/lock.exclusive'; fi
                  /usr/bin/borg "$@" <&0 & pid=$!
                  for i in $(seq 400); do [ -d "$lock" ] && break; sleep 0.02; done
                  kill -STOP $pid; echo $pid > '{frozen}'; wait $pid; exit $?
                fi
              done
            fi
            exec /usr/bin/borg "$@"
            """);
        await using var pgcad = new DaemonProcess(_sandbox, ["pgcad"], new Dictionary<string, string> { ["PGBORG_BORG"] = borg });
        await pgcad.WaitForAsync(d => d.Stderr.Contains("stored (direct)"), TimeSpan.FromMinutes(3), "the first base");
        var load = PgBench.StartAsync(cluster, TimeSpan.FromSeconds(150));

        // mid-batch: the round fails, the lock of the killed serve is left, and the batch is stored by a later round
        var cut = await CutAsync(pgcad, bin.Path, "wal", _sandbox.WalRepository);
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains("archiving round failed: archiving WAL"), TimeSpan.FromMinutes(2), "the WAL round to fail");
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains(" WAL files "), TimeSpan.FromMinutes(2), "the batch to be retried");

        // mid-base: the attempt fails, and the request for a new cycle stands until a base is stored
        cut = await CutAsync(pgcad, bin.Path, "base", _sandbox.Repository);
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains("archiving round failed"), TimeSpan.FromMinutes(2), "the base to fail");
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains("stored (direct)"), TimeSpan.FromMinutes(4), "a new base");

        var pgbench = await load;
        Assert.True(pgbench.ExitCode == 0, pgbench.ToString());
        var last = await cluster.SwitchAndWaitArchivedAsync();
        await pgcad.WaitForAsync(_ => !cluster.SpoolHolds(last), TimeSpan.FromMinutes(2), $"{last} in Borg");
        Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));

        // the test reads the repositories by their local paths through a Borg state of its own (LeftBehind)
        await LeftBehind.AssertNothingAsync(_sandbox, cluster);
        // nothing lost: every kept cycle complete and its WAL continuous, checked by pgborg verify (the test's own Borg
        // knows these repositories under their local paths, and Borg asks before it opens a repository that "moved")
        var verify = await _sandbox.PgBorgAsync("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("all holds", verify.Stdout);
        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, PgBench.Checksum, PgBench.Database);
    }

    /// <summary>
    /// Arms the frozen create of <paramref name="kind"/>, waits for it, kill -9s its <c>borg serve</c> (the stand-in's
    /// child of the frozen client) and lets the client go on into the cut connection. Returns pgcad's stderr position.
    /// </summary>
    private static async Task<int> CutAsync(DaemonProcess pgcad, string bin, string kind, string repository)
    {
        var frozen = Path.Combine(bin, "frozen");
        File.Delete(frozen);
        var at = pgcad.Stderr.Length;
        File.WriteAllText(Path.Combine(bin, "armed-" + kind), "");
        if (kind == "base")
        {
            await Run.CheckedAsync("/bin/kill", "-USR1", pgcad.Pid.ToString());
        }
        await pgcad.WaitForAsync(_ => File.Exists(frozen) && File.ReadAllText(frozen).Trim().Length > 0, TimeSpan.FromMinutes(3), $"a {kind} create");
        var client = File.ReadAllText(frozen).Trim();
        var serve = (await Run.ProgramAsync("/usr/bin/pgrep", ["-P", client])).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(serve);
        foreach (var pid in serve)
        {
            await Run.CheckedAsync("/bin/kill", "-KILL", pid);
        }
        // the serve died holding the repository's lock: Borg finds it stale later, because its process is gone
        Assert.True(Directory.Exists(Path.Combine(repository, "lock.exclusive")), $"no lock of the killed serve in {repository}");
        await Run.CheckedAsync("/bin/kill", "-CONT", client);
        return at;
    }
}
