using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// What Borg says it stored is checked, not assumed. Borg 1.2 reports a file it could not read with a warning and
/// exit code 1 and commits the archive without it; and a create can commit and still fail (the connection cut after
/// the commit). The Borg here is the real one behind a thin wrapper that stages those moments: it hides one file from
/// the real Borg while it runs, or reports a committed create as failed.
/// </summary>
public sealed class BorgOutcomeTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();
    private readonly FakeBin _bin = new(new Dictionary<string, string>());

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await _cluster.SqlAsync("CREATE TABLE t (id serial, v text)");
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _bin.Dispose();
        _sandbox.Dispose();
    }

    private Task<RunResult> OnceAsync(string? borg = null) => _sandbox.PgBorgAsync(["pgcad", "--once"],
        borg is null ? null : new Dictionary<string, string> { ["PGBORG_BORG"] = borg }, timeout: TimeSpan.FromMinutes(4));

    private async Task<string> WorkAsync()
    {
        await _cluster.SqlAsync("INSERT INTO t (v) SELECT md5(g::text) FROM generate_series(1, 20000) g");
        return await _cluster.SwitchAndWaitArchivedAsync();
    }

    /// <summary>A borg that, once, runs the real create of a WAL batch with its last file moved out of Borg's sight.</summary>
    private string HidingBorg() => _bin.Script("borg", $$"""
        if [ "$1" = create ] && [[ "$*" == *"~wal~"* ]] && [ ! -e '{{_bin.Path}}/hid' ]; then
          touch '{{_bin.Path}}/hid'
          f="${@: -1}"
          mv -- "$f" "$f.hidden"; /usr/bin/borg "$@"; rc=$?; mv -- "$f.hidden" "$f"; exit $rc
        fi
        exec /usr/bin/borg "$@"
        """);

    /// <summary>
    /// A borg that, once, runs the real create of a base with one more path that it cannot read: as root nothing in a
    /// snapshot is unreadable on demand, but Borg's answer is the same as for an I/O or permission error (a warning
    /// naming the file, exit code 1, the archive committed without it).
    /// </summary>
    private string UnreadableBorg() => _bin.Script("borg", $"""
        if [ "$1" = create ] && [[ "$*" == *"~base~"* ]] && [ ! -e '{_bin.Path}/hid' ]; then
          touch '{_bin.Path}/hid'
          exec /usr/bin/borg "$@" global/pg_unreadable
        fi
        exec /usr/bin/borg "$@"
        """);

    private string Spool => Directory.GetDirectories(_cluster.DataDirectory + ".pgborg-spool").Single();

    [Fact(Timeout = 300_000)]
    public async Task A_WAL_batch_that_Borg_stored_without_a_file_is_deleted_and_the_spooled_files_stay()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        Assert.Equal(0, (await OnceAsync()).ExitCode);
        var segment = await WorkAsync();
        Assert.True(File.Exists(Path.Combine(Spool, segment)));

        var r = await OnceAsync(HidingBorg());
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("without everything it was given", r.Stderr);
        await AssertSpooledOnlyThenStoredNextRoundAsync(segment);
    }

    /// <summary>The segment is still spooled and in no WAL archive; the next round (with <paramref name="env"/>) stores it and empties the spool.</summary>
    private async Task AssertSpooledOnlyThenStoredNextRoundAsync(string segment, IDictionary<string, string>? env = null)
    {
        Assert.True(File.Exists(Path.Combine(Spool, segment)), "the spooled copy was deleted although Borg did not store it whole");
        Assert.DoesNotContain(segment, (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles));

        var again = await _sandbox.PgBorgAsync(["pgcad", "--once"], env, timeout: TimeSpan.FromMinutes(4));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains(segment, (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles));
        Assert.False(File.Exists(Path.Combine(Spool, segment)));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_WAL_batch_whose_items_cannot_be_listed_after_the_create_is_deleted_and_the_spooled_files_stay()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        Assert.Equal(0, (await OnceAsync()).ExitCode);
        var segment = await WorkAsync();
        // without create statistics (as above 5,000 archives) a create's sizes come from listing the new archive's
        // items; that listing fails once, after the real create committed the batch
        var borg = _bin.Script("borg", $$"""
            if [ "$1" = list ] && [[ "$*" == *"::"*"~wal~"* ]] && [ ! -e '{{_bin.Path}}/failed' ]; then
              touch '{{_bin.Path}}/failed'
              echo '{"type": "log_message", "levelname": "ERROR", "message": "Connection closed by remote host", "msgid": "ConnectionClosed"}' >&2
              exit 2
            fi
            exec /usr/bin/borg "$@"
            """);
        var noStatistics = new Dictionary<string, string> { ["PGBORG_BORG"] = borg, ["PGBORG_CREATE_STATISTICS_UP_TO"] = "0" };

        var r = await _sandbox.PgBorgAsync(["pgcad", "--once"], noStatistics, timeout: TimeSpan.FromMinutes(4));
        Assert.True(File.Exists(Path.Combine(_bin.Path, "failed")), r.ToString());
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("but its items could not be listed to check it", r.Stderr);
        Assert.Contains("deleted that archive", r.Stderr);
        await AssertSpooledOnlyThenStoredNextRoundAsync(segment, noStatistics);
    }

    [Fact(Timeout = 300_000)]
    public async Task Borgs_self_test_runs_until_one_passed_with_the_executable_and_again_once_it_changes()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        var calls = Path.Combine(_bin.Path, "calls");
        string Wrapper(string version) => _bin.Script("borg", $$"""
            # {{version}}
            echo "${BORG_SELFTEST:-on} $1" >> '{{calls}}'
            exec /usr/bin/borg "$@"
            """);
        string[] Calls() => File.ReadAllLines(calls);
        var marker = Path.Combine(_sandbox.StateDirectory, "borg", "pgborg-selftest-passed");

        Assert.Equal(0, (await OnceAsync(Wrapper("first"))).ExitCode);
        AssertTestedFirstOnly(Calls());
        var recorded = File.ReadAllText(marker);
        Assert.StartsWith(Path.Combine(_bin.Path, "borg") + "\n", recorded, StringComparison.Ordinal);

        // the next process trusts the marker; a command without the test does not renew it
        File.Delete(calls);
        Assert.Equal(0, (await OnceAsync(Path.Combine(_bin.Path, "borg"))).ExitCode);
        Assert.All(Calls(), c => Assert.StartsWith("disabled ", c, StringComparison.Ordinal));
        Assert.Equal(recorded, File.ReadAllText(marker));

        // an executable written anew (an upgrade) is tested again, once
        File.Delete(calls);
        Assert.Equal(0, (await OnceAsync(Wrapper("second"))).ExitCode);
        AssertTestedFirstOnly(Calls());
        Assert.NotEqual(recorded, File.ReadAllText(marker));
    }

    /// <summary>The first commands ran the self test (more than one only when they started together), all later ones not.</summary>
    private static void AssertTestedFirstOnly(string[] calls)
    {
        var tested = calls.TakeWhile(c => c.StartsWith("on ", StringComparison.Ordinal)).Count();
        Assert.True(tested >= 1 && calls.Length > tested, string.Join('\n', calls));
        Assert.All(calls[tested..], c => Assert.StartsWith("disabled ", c, StringComparison.Ordinal));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_base_from_a_snapshot_that_Borg_stored_without_a_file_never_counts_as_complete()
    {
        await using var fs = await LoopFilesystem.CreateAsync("xfs");
        await using var cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf, fs.Sub("pgdata"));
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(cluster, snapshot: "reflink"));
        var r = await OnceAsync(UnreadableBorg());
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("without everything it was given", r.Stderr);
        Assert.Contains("global/pg_unreadable", r.Stderr);
        Assert.DoesNotContain(await new ArchiveInspector(_sandbox).CyclesAsync(), c => c.Base?.GetProperty("complete").GetBoolean() == true);
        Assert.DoesNotContain(await _sandbox.ArchiveNamesAsync(), n => n.Contains("~base~", StringComparison.Ordinal));

        var again = await OnceAsync();
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains(await new ArchiveInspector(_sandbox).CyclesAsync(), c => c.Base?.GetProperty("complete").GetBoolean() == true);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_WAL_create_that_committed_but_reported_failure_does_not_wedge_the_daemon()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster));
        Assert.Equal(0, (await OnceAsync()).ExitCode);
        var borg = _bin.Script("borg", $$"""
            if [ "$1" = create ] && [[ "$*" == *"~wal~"* ]] && [ -e '{{_bin.Path}}/armed' ] && [ ! -e '{{_bin.Path}}/cut' ]; then
              touch '{{_bin.Path}}/cut'
              /usr/bin/borg "$@" >/dev/null || exit $?
              echo '{"type": "log_message", "levelname": "ERROR", "message": "Connection closed by remote host", "msgid": "ConnectionClosed"}' >&2
              exit 2
            fi
            exec /usr/bin/borg "$@"
            """);
        await using var daemon = new DaemonProcess(_sandbox, ["pgcad"], new Dictionary<string, string> { ["PGBORG_BORG"] = borg });
        await daemon.WaitForAsync(d => d.Messages.Contains("READY=1"), TimeSpan.FromSeconds(120), "READY=1");
        // the cut hits the ingest of this segment, not the base's own WAL
        await File.WriteAllTextAsync(Path.Combine(_bin.Path, "armed"), "");
        var segment = await WorkAsync();
        await daemon.WaitForAsync(_ => File.Exists(Path.Combine(_bin.Path, "cut")), TimeSpan.FromSeconds(30), "the cut create");
        // the retry (after a 2 s backoff) finds the committed archive under the batch's name and verifies it; it must
        // not depend on new WAL arriving (archive_timeout) and changing the batch's name
        await daemon.WaitForAsync(_ => !File.Exists(Path.Combine(Spool, segment)), TimeSpan.FromSeconds(30), $"{segment} ingested after the cut");
        Assert.Contains("connection to the repository was closed", daemon.Stderr);
        Assert.DoesNotContain("already exists", daemon.Stderr);
        Assert.Contains(segment, (await new ArchiveInspector(_sandbox).CyclesAsync()).SelectMany(c => c.WalFiles));
        // and the daemon goes on ingesting
        var next = await WorkAsync();
        await daemon.WaitForAsync(_ => !File.Exists(Path.Combine(Spool, next)), TimeSpan.FromSeconds(60), $"{next} ingested");
        Assert.Equal(0, await daemon.TerminateAsync(TimeSpan.FromSeconds(60)));
    }
}
