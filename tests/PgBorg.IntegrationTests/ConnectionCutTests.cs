using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// Issue 13, drill 4: the connection to a remote repository is cut (the stand-in's <c>borg serve</c> killed) in the
/// middle of a WAL batch's create and again in the middle of a base's, while pgbench writes and pgcad and pgdumpd run as
/// daemons. Status and the metrics show each failed round.
/// The killed serve leaves its repository lock behind; Borg breaks it only because its process is gone (Borg's own
/// stale-lock check), the batch is retried, a new base follows, and no checkpoint archive or lock remains.
/// </summary>
public sealed class ConnectionCutTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact(Timeout = 1_200_000)]
    public async Task A_borg_serve_killed_mid_create_is_retried_and_leaves_no_checkpoint_or_lock()
    {
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
        await PgBench.InitAsync(cluster);
        var ssh = new SshStandIn(_sandbox);
        var dumps = _sandbox.Sub("dump-repo");
        _sandbox.WriteConfig(ssh.Remote(_sandbox.ArchiveConfig(cluster), _sandbox.Repository) + $"""

            [dump]
            repository = "{dumps}"
            passphrase = "{Sandbox.Passphrase}"
            interval = "30s"
            """);

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
        await using var pgdumpd = new DaemonProcess(_sandbox, ["pgdumpd"]);
        await pgcad.WaitForAsync(d => d.Stderr.Contains("stored (direct)"), TimeSpan.FromMinutes(6), "the first base");
        await pgdumpd.WaitForAsync(d => d.Stderr.Contains("dump round of"), TimeSpan.FromMinutes(6), "the first dump round");
        var load = PgBenchLoad.Start(cluster);
        await using var watch = new FaultWatch(_sandbox, TimeSpan.FromSeconds(2));

        // mid-batch: the round fails, the lock of the killed serve is left, and the batch is stored by a later round; the
        // stand-in refuses connections until status and the metrics have shown the failed round (the WAL loop retries
        // within seconds, faster than an operator looks)
        var cut = await CutAsync(pgcad, ssh, bin.Path, "wal", _sandbox.WalRepository);
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains("main: archiving round failed: archiving WAL"), TimeSpan.FromMinutes(2), "the WAL round to fail");
        await ShowsFailureAsync(watch, ssh);
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains(" WAL files "), TimeSpan.FromMinutes(2), "the batch to be retried");

        // mid-base: the attempt fails, and the request for a new cycle stands until a base is stored
        cut = await CutAsync(pgcad, ssh, bin.Path, "base", _sandbox.Repository);
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains("main: archiving round failed: "), TimeSpan.FromMinutes(2), "the base to fail");
        await ShowsFailureAsync(watch, ssh);
        await pgcad.WaitForAsync(d => d.Stderr[cut..].Contains("stored (direct)"), TimeSpan.FromMinutes(4), "a new base");
        await watch.StopAsync();

        await load.StopAsync();
        var last = await cluster.SwitchAndWaitArchivedAsync();
        await pgcad.WaitForAsync(_ => !cluster.SpoolHolds(last), TimeSpan.FromMinutes(2), $"{last} in Borg");
        await FaultWatch.WaitHealthyAsync(_sandbox);
        Assert.Equal(0, await pgcad.TerminateAsync(TimeSpan.FromSeconds(60)));
        // the dumps, in a repository of their own, went on through the cuts
        Assert.Equal(0, await pgdumpd.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Matches(@"dump round of main finished: [1-9]\d* succeeded, 0 failed", pgdumpd.Stderr);
        Assert.DoesNotMatch(@"finished: \d+ succeeded, [1-9]\d* failed", pgdumpd.Stderr);

        // the test reads the repositories by their local paths through a Borg state of its own (LeftBehind)
        await LeftBehind.AssertNothingAsync(_sandbox, cluster, _sandbox.Repository, _sandbox.WalRepository, dumps);
        // nothing lost: every kept cycle complete and its WAL continuous, checked by pgborg verify (the test's own Borg
        // knows these repositories under their local paths, and Borg asks before it opens a repository that "moved")
        var verify = await _sandbox.PgBorgAsync("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("all holds", verify.Stdout);
        await RestoredServer.AssertLatestMatchesAsync(_sandbox, cluster, PgBench.Checksum, PgBench.Database);
    }

    /// <summary>Waits until status and the metrics show the failed round, then lets the stand-in connect again.</summary>
    private static async Task ShowsFailureAsync(FaultWatch watch, SshStandIn ssh)
    {
        var since = DateTime.UtcNow;
        await watch.WaitForAsync(s => s.At > since && s.Failing && s.StatusOf().Contains("  problem:     archiving failing (")
            && s.Metric("pgborg_archive_round_success") == 0, TimeSpan.FromMinutes(1), "the failed round");
        ssh.Refusing = false;
    }

    /// <summary>
    /// Arms the frozen create of <paramref name="kind"/>, waits for it, kill -9s its <c>borg serve</c> (the stand-in's
    /// child of the frozen client), makes the stand-in refuse new connections and lets the client go on into the cut
    /// connection. Returns pgcad's stderr position.
    /// </summary>
    private static async Task<int> CutAsync(DaemonProcess pgcad, SshStandIn ssh, string bin, string kind, string repository)
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
        ssh.Refusing = true;
        await Run.CheckedAsync("/bin/kill", "-CONT", client);
        return at;
    }
}
