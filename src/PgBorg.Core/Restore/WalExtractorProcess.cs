using System.Text.Json;
using System.Text.Json.Serialization;
using PgBorg.Processes;

namespace PgBorg.Restore;

/// <summary>What the background WAL extractor needs, handed to it on stdin (the passphrase never goes into argv).</summary>
public sealed record WalExtractorJob(
    [property: JsonPropertyName("access")] RestoreContext Access,
    [property: JsonPropertyName("state_directory")] string StateDirectory,
    [property: JsonPropertyName("user")] string UserName,
    [property: JsonPropertyName("uid")] uint Uid,
    [property: JsonPropertyName("gid")] uint Gid)
{
    public string ToJson() => JsonSerializer.Serialize(this, RestoreJsonContext.Default.WalExtractorJob);

    /// <summary>
    /// The job for the WAL of a restore context: the context (which carries no secret in local mode) plus the
    /// repository's access from the configuration, Borg's state directory, and the service user to give files to.
    /// </summary>
    public static WalExtractorJob For(RestoreContext context, Borg.BorgRepository repo, OsUser user)
    {
        var s = repo.Settings;
        var access = context with { Passphrase = s.Passphrase, PassCommand = s.PassCommand, Environment = new Dictionary<string, string>(s.Environment) };
        return new WalExtractorJob(access, repo.StateDirectory, user.Name, user.Uid, user.Gid);
    }

    public static WalExtractorJob Parse(string json) =>
        JsonSerializer.Deserialize(json, RestoreJsonContext.Default.WalExtractorJob) ?? throw new InvalidDataException("empty WAL extractor job");
}

/// <summary>
/// <c>pgborg __wal-extract AREA</c>: the detached process pgcarestore starts. It reads its <see cref="WalExtractorJob"/>
/// from stdin, leaves the restore command's session, sends its output to <c>AREA/extractor.log</c>, holds
/// <c>AREA/extractor.lock</c> while it works, and leaves <c>extractor.done</c> or <c>extractor.failed</c> (why) behind.
/// </summary>
public static class WalExtractorProcess
{
    /// <summary>The process body of <c>pgborg __wal-extract AREA</c>: detaches, logs to the area, extracts.</summary>
    public static async Task<int> RunAsync(string area, TextReader input, TextWriter error, CancellationToken ct)
    {
        WalExtractorJob job;
        try
        {
            job = WalExtractorJob.Parse(await input.ReadToEndAsync(ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            await error.WriteLineAsync($"pgborg {WalExtractor.Command}: bad job on stdin: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        _ = Native.setsid(); // no terminal, no process group of the restore command: Ctrl-C there does not reach us
        using var log = new FileStream(Path.Combine(area, WalExtractor.LogName), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        File.SetUnixFileMode(log.Name, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var fd = (int)log.SafeFileHandle.DangerousGetHandle();
        _ = Native.dup2(fd, 1);
        _ = Native.dup2(fd, 2);
        using var writer = TextWriter.Synchronized(new StreamWriter(log) { AutoFlush = true });
        var lockPath = Path.Combine(area, WalExtractor.LockName);
        using var held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        File.SetUnixFileMode(lockPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var user = new OsUser(job.UserName, job.Uid, job.Gid, "/");
        try
        {
            WalExtractor.Line(writer, $"started (pid {Environment.ProcessId}), {job.Access.Archives.Sum(a => a.Files.Count)} WAL files in {job.Access.Archives.Count} archive(s)");
            await WalExtractor.ExtractAllAsync(area, job, user, writer, ct).ConfigureAwait(false);
            if (WalExtractor.Ended(area))
            {
                WalExtractor.Line(writer, "recovery ended: stopping");
                return 0;
            }
            WalExtractor.WriteDone(area, user);
            WalExtractor.Line(writer, "done");
            return 0;
        }
        catch (Exception e) when (WalExtractor.Ended(area))
        {
            WalExtractor.Line(writer, $"recovery ended: stopping ({e.Message})");
            return 0;
        }
        catch (Exception e)
        {
            var why = ct.IsCancellationRequested ? "stopped by a signal" : e.Message;
            WalExtractor.Line(writer, $"FAILED: {why}");
            try
            {
                WalExtractor.WriteMarker(area, WalExtractor.FailedName, why + "\n", user);
            }
            catch (IOException)
            {
            }
            return 1;
        }
    }
}
