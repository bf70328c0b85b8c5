using System.Text.Json.Nodes;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// "Local" mode (a root-only repository): pgcarestore returns once the base is in place and a detached process
/// extracts the WAL while PostgreSQL already replays. wal-fetch waits for what is still coming, and fails hard —
/// never "not in the archive" — when the extractor stopped before delivering; `pgcarestore resume-wal` finishes it.
/// </summary>
public sealed class WalExtractorTests(ArchivedSandbox fixture) : IClassFixture<ArchivedSandbox>, IAsyncDisposable
{
    private readonly Sandbox _sandbox = fixture.Sandbox;
    private readonly TempDir _target = new("pgborg-walextract");
    private IReadOnlyList<string> Segments => fixture.Segments;
    private string Data => Path.Combine(_target.Path, "data");
    private string Area => Path.Combine(Data, "pgborg_restore");

    public async ValueTask DisposeAsync()
    {
        await KillExtractorsAsync();
        _target.Dispose();
    }

    private List<int> Extractors() => WalExtractors.Under(_target.Path);

    private Task KillExtractorsAsync() => WalExtractors.KillUnderAsync(_target.Path);

    /// <summary>PostgreSQL started on the restore promotes with every row of the workload; the restore area and the extractor are gone.</summary>
    private async Task PromotesWithEveryRowAsync(int port)
    {
        await using (var server = await RestoredServer.StartAsync(Data, port))
        {
            await server.WaitPromotedAsync();
            Assert.Equal(fixture.Rows.ToString(), await server.SqlAsync("SELECT count(*) FROM t"));
        }
        Assert.False(Directory.Exists(Area));
        await WalExtractors.WaitGoneAsync(_target.Path);
        Assert.Empty(Extractors());
    }

    private Task<RunResult> FetchAsync(string name, string destination) =>
        Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", PgBorgBinary.Path, "wal-fetch", name, destination], workingDirectory: Data);

    [Fact(Timeout = 300_000)]
    public async Task The_restore_returns_with_the_base_and_recovery_waits_for_the_WAL_extracted_behind_it()
    {
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("in the background", r.Stdout);
        // the repository named is the one postgres cannot read: the WAL's own, which holds this cycle's WAL
        Assert.Contains($"postgres cannot read {_sandbox.WalRepository}: the cycle's WAL", r.Stdout);
        var context = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Area, "context.json")))!;
        Assert.Equal("local", context["mode"]!.GetValue<string>());
        Assert.Null(context["passphrase"]);

        await PromotesWithEveryRowAsync(46501 + Environment.ProcessId % 400);
    }

    [Fact(Timeout = 300_000)]
    public async Task An_extractor_that_stopped_early_makes_wal_fetch_fail_hard_and_resume_wal_finishes_the_job()
    {
        // the extractor blocks before its second batch: the first segments are there, the later ones are not
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data],
            new Dictionary<string, string> { ["PGBORG_FAULT_POINT"] = "wal-extract-second-batch" }, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(2, Extractors().Count); // the extractor and its agent
        var restored = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Area, "context.json")))!["archives"]!.AsArray()
            .SelectMany(a => a!["files"]!.AsArray().Select(f => f!.GetValue<string>())).Where(f => f.Length == 24).Order().ToList();
        Assert.True(restored.Count > 8, string.Join(" ", restored));
        var later = restored[^1];
        // root's Borg writes in root's own directory, outside the data directory; what is in the area was written by
        // the service user's agent: nothing in it is root's
        Assert.False(Directory.Exists(Path.Combine(Area, ".incoming")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Area, "*", SearchOption.AllDirectories), f => PgBorg.Processes.FileStatus.Of(f)?.Uid == 0);
        Assert.False(File.Exists(Path.Combine(Area, later)));
        var destination = Path.Combine(Data, "pg_wal", "RECOVERYXLOG");

        // while the extractor lives, wal-fetch waits for a file it will deliver; once it is gone, wal-fetch fails hard
        var waiting = FetchAsync(later, destination);
        await Task.Delay(1500);
        Assert.False(waiting.IsCompleted);
        await KillExtractorsAsync();
        var fetched = await waiting;
        Assert.True(fetched.ExitCode > 125, fetched.ToString());
        Assert.Contains("resume-wal", fetched.Stderr);
        // files that are not in the archive at all are still "not found", at once
        Assert.Equal(1, (await FetchAsync("00000009.history", destination)).ExitCode);

        // PostgreSQL stops rather than promoting without the WAL
        using (var run = new TempDir("pgborg-walextract-run"))
        {
            await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", run.Path);
            var log = run.Sub("server.log");
            var options = $"-c port={46901 + Environment.ProcessId % 90} -c unix_socket_directories='{run.Path}' -c listen_addresses='' -c archive_mode=off";
            await Run.CheckedAsync("/usr/sbin/runuser", "-u", "postgres", "--", $"{PostgresCluster.Bin}/pg_ctl", "-D", Data, "-l", log, "-o", options, "-W", "start");
            for (var i = 0; i < 600 && (!File.Exists(log) || !File.ReadAllText(log).Contains("database system is shut down")); i++)
            {
                await Task.Delay(100);
            }
            var text = await File.ReadAllTextAsync(log);
            Assert.Contains("resume-wal", text);
            Assert.Contains("database system is shut down", text);
            Assert.DoesNotContain("archive recovery complete", text);
            Assert.True(File.Exists(Path.Combine(Data, "recovery.signal")));
        }

        // the data directory is the service user's: whoever runs as postgres can put links where the extractor's
        // files go. Root's resumed extractor must follow none of them to root's own files.
        var victims = _target.Sub("root-only");
        Directory.CreateDirectory(victims, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var secret = Path.Combine(victims, "secret");
        await File.WriteAllTextAsync(secret, "root's own\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string[] planted = ["extractor.log", "extractor.lock", "extractor.done.tmp", "extractor.failed.tmp", ".incoming", $"{later}.pgborg-part", $"{later}.tmp"];
        foreach (var name in planted)
        {
            var link = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", "/bin/ln", "-sfn", name == ".incoming" ? victims : secret, Path.Combine(Area, name)]);
            Assert.True(link.ExitCode == 0, link.ToString());
        }

        var resumed = await _sandbox.PgBorgAsync(["pgcarestore", "resume-wal", "--target-dir", Data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        // it finished its work in spite of the links (they were removed, not followed)
        var extractorLog = Path.Combine(Area, "extractor.log");
        await Eventually.AssertAsync(() => File.Exists(Path.Combine(Area, "extractor.done")), TimeSpan.FromMinutes(2),
            $"the resumed extraction did not finish: {(File.Exists(extractorLog) ? File.ReadAllText(extractorLog) : "no log")}");
        Assert.DoesNotContain("FAILED", await File.ReadAllTextAsync(extractorLog));
        // the files were passed by descriptor and linked, not copied through the helper's stdin
        Assert.DoesNotContain("files are copied", await File.ReadAllTextAsync(extractorLog));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Area), f => new FileInfo(f).LinkTarget is not null && f.EndsWith(".pgborg-part", StringComparison.Ordinal));
        await PromotesWithEveryRowAsync(46901 + Environment.ProcessId % 90);
        Assert.Equal("root's own\n", await File.ReadAllTextAsync(secret));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Equal(0u, PgBorg.Processes.FileStatus.Of(secret)?.Uid);
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(victims).Select(Path.GetFileName));
    }

    [Fact(Timeout = 300_000)]
    public async Task The_extractor_stays_within_its_read_ahead_and_never_holds_up_replay()
    {
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data],
            new Dictionary<string, string> { ["PGBORG_WAL_READ_AHEAD"] = "4" }, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        // nobody replays yet: after its first batch (4 segments) it waits, and keeps waiting
        int Extracted() => Directory.EnumerateFiles(Area).Count(f => Path.GetFileName(f).Length == 24);
        for (var i = 0; i < 600 && Extracted() == 0; i++)
        {
            await Task.Delay(100);
        }
        Assert.InRange(Extracted(), 1, 4);
        await Task.Delay(3000); // time to overrun its limit, if it would
        Assert.Equal(2, Extractors().Count); // the extractor and its agent
        Assert.InRange(Extracted(), 1, 4);

        // replay asks for segments beyond the read-ahead one by one: each is extracted, recovery completes
        await PromotesWithEveryRowAsync(46701 + Environment.ProcessId % 190);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_segment_asked_for_again_after_a_crash_is_delivered_again_never_not_found()
    {
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        await WalExtractors.WaitGoneAsync(_target.Path);
        var destination = Path.Combine(Data, "pg_wal", "RECOVERYXLOG");
        var delivered = new Dictionary<string, byte[]>();
        foreach (var segment in Segments.Take(6))
        {
            var fetched = await FetchAsync(segment, destination);
            Assert.True(fetched.ExitCode == 0, fetched.ToString());
            delivered[segment] = await File.ReadAllBytesAsync(destination);
            // PostgreSQL keeps what it restored in pg_wal; the last one is lost in a crash before it could
            if (segment == Segments[5])
            {
                File.Delete(destination);
            }
            else
            {
                File.Move(destination, Path.Combine(Data, "pg_wal", segment));
            }
        }

        // the restarted server asks again from its last restartpoint: every file comes back, the same bytes
        foreach (var segment in Segments.Take(6))
        {
            var again = await FetchAsync(segment, destination);
            Assert.True(again.ExitCode == 0, $"{segment}: {again}");
            Assert.Equal(delivered[segment], await File.ReadAllBytesAsync(destination));
            File.Delete(destination);
        }
        // one that is neither kept nor in pg_wal any more is a hard error, never "not in the archive"
        File.Delete(Path.Combine(Data, "pg_wal", Segments[0]));
        var gone = await FetchAsync(Segments[0], destination);
        Assert.True(gone.ExitCode > 125, gone.ToString());
        Assert.Contains("delivered to PostgreSQL before", gone.Stderr);
        await File.WriteAllBytesAsync(Path.Combine(Data, "pg_wal", Segments[0]), delivered[Segments[0]]);
        await Run.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", Path.Combine(Data, "pg_wal"));

        await PromotesWithEveryRowAsync(46301 + Environment.ProcessId % 190);
    }

    [Theory(Timeout = 300_000)]
    [InlineData("a symbolic link")]
    [InlineData("a FIFO")]
    public async Task A_WAL_archive_with_a_link_or_a_FIFO_under_a_segments_name_stops_the_extractor_and_root_leaves_the_target_alone(string kind)
    {
        // whoever holds the repository's key (pgcad may run as the service user) can store a WAL archive whose
        // "segment" is a link to a file of root's: root's Borg recreates it in root's staging directory, and root's
        // extractor then chowns each staged file to the service user before passing it on. A link must be refused
        // first, or root would give /etc/shadow away.
        var victims = _target.Sub("root-only");
        Directory.CreateDirectory(victims, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var secret = Path.Combine(victims, "secret");
        await File.WriteAllTextAsync(secret, "root's own\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // on a copy of the repositories: the other tests of the class restore the shared ones
        var sandbox = await fixture.CopyAsync();
        try
        {
            await RestoresTheCraftedArchiveSafelyAsync(sandbox, kind, secret);
        }
        finally
        {
            // the extractor's Borg works in the copy's state directory: stopped before that goes
            await KillExtractorsAsync();
            sandbox.Dispose();
        }
    }

    private async Task RestoresTheCraftedArchiveSafelyAsync(Sandbox sandbox, string kind, string secret)
    {
        var walArchives = await new ArchiveInspector(sandbox).WalArchivesAsync();
        var newestCycle = walArchives.MaxBy(w => w.Cycle, StringComparer.Ordinal)!.Cycle;
        var wal = walArchives.Where(w => w.Cycle == newestCycle).MaxBy(w => w.Files.Max(StringComparer.Ordinal))!;
        var segment = wal.Files.Where(f => f.Length == 24).Order(StringComparer.Ordinal).First();
        using var work = new TempDir("pgborg-walextract-craft");
        Assert.Equal(0, (await sandbox.WalBorgInAsync(work.Path, "extract", "::" + wal.Name)).ExitCode);
        var comment = (await new ArchiveInspector(sandbox).ArchivesAsync()).Single(a => a.Name == wal.Name).Comment;
        var staged = Path.Combine(work.Path, segment);
        File.Delete(staged);
        if (kind == "a symbolic link")
        {
            File.CreateSymbolicLink(staged, secret);
        }
        else
        {
            // Borg stores a FIFO as one and recreates it: root reading it would wait for a writer forever
            await Run.CheckedAsync("/usr/bin/mkfifo", staged);
        }
        Assert.Equal(0, (await sandbox.WalBorgAsync("delete", "::" + wal.Name)).ExitCode);
        var stored = await sandbox.WalBorgInAsync(work.Path, ["create", "--comment", comment.Replace("{", "{{").Replace("}", "}}"), "::" + wal.Name, .. wal.Files]);
        Assert.True(stored.ExitCode == 0, stored.ToString());

        var r = await sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        var failed = Path.Combine(Area, "extractor.failed");
        await Eventually.AssertAsync(() => File.Exists(failed), TimeSpan.FromMinutes(2), "the extractor did not stop on the link");
        Assert.Contains(kind == "a symbolic link" ? "is a symbolic link" : "is not a plain file", await File.ReadAllTextAsync(failed));
        Assert.False(File.Exists(Path.Combine(Area, segment)));
        // PostgreSQL asking for it hears a hard failure, never "not in the archive" (which would end recovery early)
        var fetched = await FetchAsync(segment, Path.Combine(Data, "pg_wal", "RECOVERYXLOG"));
        Assert.True(fetched.ExitCode > 125, fetched.ToString());

        // root's file: still root's, still private, unchanged, and no name of it in the area
        Assert.Equal(0u, PgBorg.Processes.FileStatus.Of(secret)?.Uid);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Equal("root's own\n", await File.ReadAllTextAsync(secret));
        Assert.Equal(1u, PgBorg.Processes.FileStatus.Of(secret)?.Links);
        await WalExtractors.WaitGoneAsync(_target.Path);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_restore_refuses_a_staging_directory_someone_prepared_beside_the_target()
    {
        // the target's parent is the service user's (as /var/lib/postgresql/15 is on Debian): postgres prepares the
        // directories the next minute's restores would extract into, each a link to a directory of its own
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", _target.Path);
        var bait = _target.Sub("bait");
        var made = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", "/bin/mkdir", bait]);
        Assert.True(made.ExitCode == 0, made.ToString());
        var now = DateTimeOffset.UtcNow;
        for (var s = 0; s < 120; s++)
        {
            var name = $"{Data}.pgborg-extract-{PgBorg.Naming.Stamp.Of(now.AddSeconds(s))}";
            var link = await Run.ProgramAsync("/usr/sbin/runuser", ["-u", "postgres", "--", "/bin/ln", "-s", bait, name]);
            Assert.True(link.ExitCode == 0, link.ToString());
        }

        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 4, r.ToString());
        Assert.Contains("already exists", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(bait));
        Assert.False(Directory.Exists(Data));
    }

    [Fact(Timeout = 300_000)]
    public async Task The_base_is_extracted_by_a_Borg_whose_working_directory_only_root_can_reach()
    {
        // the target's parent is the service user's (as /var/lib/postgresql/15 is on Debian): Borg turns its working
        // directory into a path when it starts, and a rename of the staging directory there, with a link in its
        // place, would redirect root's writes; each extracting Borg says where it works and in which mount namespace
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", _target.Path);
        using var bin = new FakeBin(new Dictionary<string, string>());
        var seen = Path.Combine(bin.Path, "extracts");
        var borg = bin.Script("borg", $"""
            if [ "$1" = extract ]; then echo "$(pwd -P) $(readlink /proc/self/ns/mnt)" >> '{seen}'; fi
            exec /usr/bin/borg "$@"
            """);
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", Data], new Dictionary<string, string> { ["PGBORG_BORG"] = borg },
            timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());

        var ours = new FileInfo("/proc/self/ns/mnt").LinkTarget;
        var mountPoint = _sandbox.Sub("state/extract-mount");
        var extracts = File.ReadAllLines(seen).Select(l => l.Split(' ')).ToList();
        var bases = extracts.Where(e => e[0] == mountPoint).ToList();
        Assert.True(bases.Count > 0, "no extract worked in " + mountPoint + ":\n" + string.Join("\n", extracts.Select(e => string.Join(' ', e))));
        Assert.All(bases, e => Assert.NotEqual(ours, e[1]));
        Assert.DoesNotContain(extracts, e => e[0].StartsWith(_target.Path, StringComparison.Ordinal));
        // the bind mounts went with their namespaces
        Assert.DoesNotContain(mountPoint.Replace(" ", "\\040"), await File.ReadAllTextAsync("/proc/self/mountinfo"));
        await PromotesWithEveryRowAsync(PostgresCluster.NextFreePort());
    }

    [Fact(Timeout = 300_000)]
    public async Task Without_the_right_to_make_a_mount_namespace_a_restore_beside_the_service_users_files_fails_and_extracts_nothing()
    {
        // root without CAP_SYS_ADMIN (a container, a confined unit): no namespace, so no extract by an unprotected path
        await Run.CheckedAsync("/usr/bin/chown", "postgres:postgres", _target.Path);
        var r = await _sandbox.PgBorgAsync(["--bounding-set=-sys_admin", "--", PgBorgBinary.Path, "pgcarestore", "restore", "--target-dir", Data], null,
            timeout: TimeSpan.FromMinutes(3), program: "/usr/bin/setpriv");
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("cannot make a mount namespace", r.Stderr);
        Assert.False(Directory.Exists(Data));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target.Path));
    }

    [Fact(Timeout = 120_000)]
    public async Task Resume_wal_refuses_what_it_cannot_resume()
    {
        Directory.CreateDirectory(Data);
        var r = await _sandbox.PgBorgAsync(["pgcarestore", "resume-wal", "--target-dir", Data], null);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("nothing to resume", r.Stderr);
    }
}
