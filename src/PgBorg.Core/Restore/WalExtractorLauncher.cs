using System.Diagnostics;
using System.Text.Json;
using PgBorg.Naming;
using PgBorg.Processes;
using PgBorg.Borg;
using PgBorg.Dumps;
using PgBorg.PostgreSql;

namespace PgBorg.Restore;

/// <summary>
/// Starts <c>pgborg __wal-extract AREA</c> detached from the restore command and waits until it says it has started
/// (its agent holds the area's lock). Root opens nothing in the area to find out: that is the service user's.
/// </summary>
public static class WalExtractorLauncher
{
    /// <returns>The extractor's process id.</returns>
    /// <exception cref="UnsafeException">Another extractor works in the area.</exception>
    public static async Task<int> StartAsync(string binary, string area, WalExtractorJob job, CancellationToken ct)
    {
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            // not inherited: a caller reading our stdout (a pipe, `| tee`) must see its end when we exit, not when the extractor does
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        start.ArgumentList.Add(WalExtractor.Command);
        start.ArgumentList.Add(area);
        using var process = Process.Start(start) ?? throw new IOException($"cannot start {binary}");
        await process.StandardInput.WriteAsync(job.ToJson().AsMemory(), ct).ConfigureAwait(false);
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        string? said;
        try
        {
            said = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // stopped, so that the extraction pgcarestore then does itself is the only one
            process.Kill(entireProcessTree: true);
            throw new IOException($"the background WAL extraction (pid {process.Id}) did not start within 30 s");
        }
        if (said == WalExtractorProcess.Started)
        {
            return process.Id;
        }
        var stderr = (await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false)).Trim();
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode == ExitCodes.Unsafe)
        {
            throw new UnsafeException(stderr);
        }
        throw new IOException($"the background WAL extraction exited at once (code {process.ExitCode}){(stderr.Length == 0 ? "" : ": " + stderr)}");
    }

    /// <summary>
    /// <c>pgcarestore resume-wal</c>: starts the extractor again for a local-mode restore whose extractor stopped
    /// (a reboot, a kill) before all WAL was delivered; files already in the area are not extracted again.
    /// </summary>
    public static async Task<int> ResumeAsync(Archiving.ArchiveRepositories repos, PgInstance instance, string dataDirectory, string binary, TextWriter output, CancellationToken ct)
    {
        var repo = repos.Archive;
        var context = await ReadContextAsync(dataDirectory, instance.User, ct).ConfigureAwait(false);
        var area = RestoreContext.AreaFor(dataDirectory);
        if (context.Mode != RestoreContext.LocalMode)
        {
            throw new NotFoundException($"{dataDirectory} was restored in \"{context.Mode}\" mode: wal-fetch reads Borg itself, there is no extraction to resume");
        }
        if (!string.Equals(context.Repository, repo.Location, StringComparison.Ordinal))
        {
            throw new UnsafeException($"{dataDirectory} was restored from {context.Repository}, but the configuration's repository for instance {instance.Name} is {repo.Location}");
        }
        // the context is the service user's file, and root's Borg is about to open what it names
        if (context.WalRepository is not null && !string.Equals(context.WalRepository, repos.Wal.Location, StringComparison.Ordinal))
        {
            throw new UnsafeException($"{dataDirectory} names {context.WalRepository} as its WAL repository, but the configuration's for instance {instance.Name} is {repos.Wal.Location}");
        }
        // and the archives it names must be one source's WAL, not whatever else the repository holds
        var sources = context.Archives.Select(a => ArchiveName.TryParse(a.Archive, out var n) && n.BareKind == ArchiveName.WalKind ? (n.Host, n.Instance) : default)
            .Distinct().ToList();
        if (sources.Count > 1 || sources.Any(s => s.Host is null))
        {
            throw new UnsafeException($"{RestoreContext.PathFor(dataDirectory)} names archives that are not the WAL of one instance: nothing resumed");
        }
        var pid = await StartAsync(binary, area, WalExtractorJob.For(context, repo, instance.User), ct).ConfigureAwait(false);
        await output.WriteLineAsync($"extracting the rest of the cycle's WAL into {area} in the background (process {pid}, log {Path.Combine(area, WalExtractor.LogName)}); PostgreSQL can be started again").ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// The restore's context, read as the service user: it is that user's file, in that user's directory, and root
    /// reading it could be led by a link elsewhere, or held up forever by a FIFO.
    /// </summary>
    private static async Task<RestoreContext> ReadContextAsync(string dataDirectory, OsUser user, CancellationToken ct)
    {
        var path = RestoreContext.PathFor(dataDirectory);
        var spec = ProcessSpec.AsUser(user, "/usr/bin/head", ["-c", "16777216", path]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        ProcessResult read;
        try
        {
            read = await ChildProcess.RunAsync(spec, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new IOException($"{path} could not be read within 30 s (is it a regular file?)");
        }
        if (read.ExitCode != 0)
        {
            throw new NotFoundException($"{dataDirectory} has no restore in progress ({path} cannot be read: {read.StderrTail.Trim()}): nothing to resume");
        }
        try
        {
            return JsonSerializer.Deserialize(read.Stdout, RestoreJsonContext.Default.RestoreContext) ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a restore context: {e.Message}");
        }
    }
}
