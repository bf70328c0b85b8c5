using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using PgBorg.Archiving;
using PgBorg.Dumps;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;
using PgBorg.Restore;

namespace PgBorg.Verify;

/// <summary>
/// <c>pgborg verify --restore</c>: restores a cycle (the newest complete one, or the one asked for) into a scratch
/// directory with <see cref="Restorer"/>, replays all its WAL on a private copy (<see cref="ScratchServer"/>), checks
/// that replay reached the cycle's last stored segment (PostgreSQL takes unreadable WAL for the end of WAL and would
/// open an earlier state without complaint), runs pg_amcheck on every database, and removes everything again,
/// also when something failed.
/// </summary>
public sealed class RestoreTest(ArchiveRepositories repos, PgInstance instance, string binary, ILogger log)
{
    public static StoredCycle Choose(IReadOnlyList<StoredCycle> cycles, string? stamp)
    {
        if (stamp is null)
        {
            return cycles.LastOrDefault(c => c.IsComplete) ?? throw new NotFoundException("the archive holds no complete base backup for this instance");
        }
        var cycle = cycles.FirstOrDefault(c => c.Stamp == stamp)
            ?? throw new NotFoundException($"no cycle {stamp} (kept: {string.Join(", ", cycles.Select(c => c.Stamp))})");
        return cycle.IsComplete ? cycle : throw new NotFoundException($"cycle {stamp} has no complete base backup");
    }

    public async Task<RestoreTestResult> RunAsync(StoredCycle cycle, string scratchParent, CancellationToken ct)
    {
        var scratch = Path.Combine(Path.GetFullPath(scratchParent), $"pgborg-verify-{NameCodec.Encode(instance.Name)}-{Stamp.Of(DateTimeOffset.UtcNow)}");
        var data = Path.Combine(scratch, "data");
        var run = Path.Combine(scratch, "run");
        ScratchServer? server = null;
        var clock = Stopwatch.StartNew();
        double? restoreSeconds = null, replaySeconds = null;
        // root's own, made afresh (a directory someone prepared in /var/tmp is refused), searchable by the service
        // user: the restore works in it as in a data directory's parent that nobody else can write to
        DirectoryAnchor? made = null;
        try
        {
            made = DirectoryAnchor.Create(scratch);
            File.SetUnixFileMode(made.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            Directory.CreateDirectory(run, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            instance.User.Own(run);
            var plan = RestorePlanner.Plan([cycle], [], RestoreTarget.Latest, "promote", $"{binary} wal-fetch %f %p");
            Log.VerifyRestoring(log, instance.Name, cycle.Stamp, scratch);
            var tablespaces = plan.Base.Tablespaces.ToDictionary(t => t.Oid,
                t => Path.Combine(scratch, string.Create(CultureInfo.InvariantCulture, $"tablespace-{t.Oid}")));
            await new Restorer(repos, instance, log, TextWriter.Null)
                .RestoreAsync(plan, new Restorer.Options(data, tablespaces, binary, FilesIfMissing: ScratchServer.Configuration), ct).ConfigureAwait(false);
            restoreSeconds = clock.Elapsed.TotalSeconds;
            server = new ScratchServer(instance, data, run);
            clock.Restart();
            await server.StartAsync(ct).ConfigureAwait(false);
            await WaitForEndOfRecoveryAsync(server, ct).ConfigureAwait(false);
            replaySeconds = clock.Elapsed.TotalSeconds;
            var replayed = await server.QueryAsync("SELECT pg_last_wal_replay_lsn()", ct).ConfigureAwait(false) ?? "";
            var restoredTo = await server.QueryAsync("SELECT to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'", ct)
                .ConfigureAwait(false);
            restoredTo = string.IsNullOrEmpty(restoredTo) ? null : restoredTo;
            var size = plan.Base.WalSegmentSize;
            var lastNeeded = WalFileName.SegmentNumber(plan.LastWal, size);
            if (replayed.Length == 0 || WalFileName.ParseLsn(replayed) / (ulong)size < lastNeeded)
            {
                return Failed($"replay ended at LSN {replayed}, before the cycle's last stored segment {plan.LastWal}: WAL in between could not be read "
                    + $"(server log: {server.LogTail(5).ReplaceLineEndings(" | ")})");
            }
            var databases = int.Parse(await server.QueryAsync("SELECT count(*) FROM pg_database WHERE datallowconn", ct).ConfigureAwait(false) ?? "0",
                CultureInfo.InvariantCulture);
            var amcheck = await server.AmcheckAsync(ct).ConfigureAwait(false);
            if (amcheck.ExitCode != 0)
            {
                var detail = (amcheck.Stdout + "\n" + amcheck.StderrTail).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                return Failed($"pg_amcheck found problems (exit {amcheck.ExitCode}): {string.Join(" | ", detail.Take(5))}", replayed, restoredTo);
            }
            return new RestoreTestResult(cycle.Stamp, true, restoreSeconds, replaySeconds, replayed, restoredTo, databases, null);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            return Failed(e.Message + (server is null ? "" : $" (server log: {server.LogTail(5).ReplaceLineEndings(" | ")})"));
        }
        finally
        {
            if (made is not null)
            {
                await CleanUpAsync(server, data, scratch).ConfigureAwait(false);
                made.Dispose();
            }
        }

        RestoreTestResult Failed(string why, string? replayed = null, string? restoredTo = null) =>
            new(cycle.Stamp, false, restoreSeconds, replaySeconds, replayed, restoredTo, null, why);
    }

    /// <summary>Replay ends when the copy promotes itself at the end of the archived WAL; a copy that stops on the way is a failure.</summary>
    private static async Task WaitForEndOfRecoveryAsync(ScratchServer server, CancellationToken ct)
    {
        var grace = Stopwatch.StartNew();
        while (true)
        {
            if (await server.QueryAsync("SELECT pg_is_in_recovery()", ct).ConfigureAwait(false) == "f")
            {
                return;
            }
            // the pid file appears a moment after pg_ctl returns
            if (!server.IsRunning() && grace.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException("the restored copy stopped during recovery");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    private async Task CleanUpAsync(ScratchServer? server, string data, string scratch)
    {
        try
        {
            if (server is not null)
            {
                await server.StopAsync().ConfigureAwait(false);
            }
            // a background WAL extractor still running (a replay that failed early) stops when recovery's end is
            // marked: as PostgreSQL marks it, by wal-fetch --end as the service user, whose directory the area is
            if (Directory.Exists(RestoreContext.AreaFor(data)))
            {
                var end = ProcessSpec.AsUser(instance.User, binary, ["wal-fetch", "--end"], workingDirectory: data);
                await ChildProcess.RunAsync(end, CancellationToken.None).ConfigureAwait(false);
            }
            // what the service user owns in it is emptied by that user: root walking a tree another user can change
            // could be led elsewhere by a link. Root then removes the emptied directories and its own.
            var owned = Directory.EnumerateDirectories(scratch).ToList();
            await TreeRemoval.AsUserAsync(instance.User, [.. owned.Select(d => d + "/")]).ConfigureAwait(false);
            foreach (var dir in owned.Where(Directory.Exists))
            {
                Directory.Delete(dir);
            }
            Directory.Delete(scratch);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Processes.ProcessFailedException)
        {
            Log.VerifyCleanupFailed(log, instance.Name, scratch, e.Message);
        }
    }
}
