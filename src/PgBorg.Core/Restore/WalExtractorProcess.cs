using System.Text.Json;
using System.Text.Json.Serialization;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>
/// <c>pgborg __wal-extract AREA</c>: the detached process pgcarestore starts. It reads its <see cref="WalExtractorJob"/>
/// from stdin, leaves the restore command's session, starts its <see cref="WalAreaAgent"/> (which holds
/// <c>AREA/extractor.lock</c>), says <c>started</c> on stdout, and from then on logs to <c>AREA/extractor.log</c>
/// through the agent, which leaves <c>extractor.done</c> or <c>extractor.failed</c> (why) behind.
/// </summary>
public static class WalExtractorProcess
{
    public const string Started = "started";

    /// <summary>The process body of <c>pgborg __wal-extract AREA</c>: detaches, starts the agent, extracts.</summary>
    public static async Task<int> RunAsync(string areaPath, TextReader input, TextWriter output, TextWriter error, CancellationToken ct)
    {
        WalExtractorJob job;
        try
        {
            job = WalExtractorJob.Parse(await input.ReadToEndAsync(ct).ConfigureAwait(false));
            // the names become paths under root's staging directory and patterns for root's Borg: WAL file names only
            if (job.Access.Archives.SelectMany(a => a.Files).FirstOrDefault(f => Archiving.WalFileName.Classify(f) is null) is { } odd)
            {
                throw new InvalidDataException($"\"{odd}\" is not a WAL file name");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            await error.WriteLineAsync($"pgborg {WalExtractor.Command}: bad job on stdin: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        _ = Native.setsid(); // no terminal, no process group of the restore command: Ctrl-C there does not reach us
        var user = new OsUser(job.UserName, job.Uid, job.Gid, "/");
        WalAreaClient area;
        StateLock claimed;
        var staging = "";
        try
        {
            area = await WalAreaClient.StartAsync(areaPath, user, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is UnsafeException or IOException or ProcessFailedException)
        {
            await error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return e is UnsafeException ? ExitCodes.Unsafe : ExitCodes.Failed;
        }
        await using (area.ConfigureAwait(false))
        {
            try
            {
                staging = WalExtractor.StagingFor(job.StateDirectory, areaPath);
                claimed = await WalExtractor.ClaimStagingAsync(staging, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"the WAL extraction for {areaPath} cannot start: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failed;
            }
            using (claimed)
            {
                await output.WriteLineAsync(Started).ConfigureAwait(false);
                await output.FlushAsync(ct).ConfigureAwait(false);
                // the restore command stops reading our output and exits: nothing more goes there
                Native.DetachStandardStreams();
                return await ExtractAsync(area, staging, job, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> ExtractAsync(WalAreaClient area, string staging, WalExtractorJob job, CancellationToken ct)
    {
        try
        {
            await area.LogAsync(WalExtractor.Line($"started (pid {Environment.ProcessId}), "
                + $"{job.Access.Archives.Sum(a => a.Files.Count)} WAL files in {job.Access.Archives.Count} archive(s)"), ct).ConfigureAwait(false);
            await WalExtractor.ExtractAllAsync(area, staging, job, ct).ConfigureAwait(false);
            if (await EndedAsync(area).ConfigureAwait(false))
            {
                await TryLogAsync(area, "recovery ended: stopping").ConfigureAwait(false);
                return 0;
            }
            await WalExtractor.WriteDoneAsync(area, ct).ConfigureAwait(false);
            await TryLogAsync(area, "done").ConfigureAwait(false);
            return 0;
        }
        catch (Exception e)
        {
            if (await EndedAsync(area).ConfigureAwait(false))
            {
                await TryLogAsync(area, $"recovery ended: stopping ({e.Message})").ConfigureAwait(false);
                return 0;
            }
            var why = ct.IsCancellationRequested ? "stopped by a signal" : e.Message;
            // the marker first: it is what wal-fetch reports, and a full disk may refuse the log line
            try
            {
                await area.MarkAsync(WalExtractor.FailedName, why + "\n", CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // the agent cannot write it (or is gone): wal-fetch then sees the extractor stopped without delivering
            }
            await TryLogAsync(area, $"FAILED: {why}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>A line of the log, if the agent can still write it: nothing else is left to tell.</summary>
    private static async Task TryLogAsync(WalAreaClient area, string text)
    {
        try
        {
            await area.LogAsync(WalExtractor.Line(text), CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // stdout and stderr are /dev/null by now
        }
    }

    /// <summary>Recovery ended (or the area went): false when the agent cannot say.</summary>
    private static async Task<bool> EndedAsync(WalAreaClient area)
    {
        try
        {
            return (await area.StateAsync(CancellationToken.None).ConfigureAwait(false)).Ended;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return false;
        }
    }
}
