using System.Diagnostics;
using PgBorg.Borg;
using PgBorg.Dumps;
using PgBorg.PostgreSql;

namespace PgBorg.Restore;

/// <summary>Starts <c>pgborg __wal-extract AREA</c> detached from the restore command and waits until it holds its lock.</summary>
public static class WalExtractorLauncher
{
    /// <returns>The extractor's process id.</returns>
    public static async Task<int> StartAsync(string binary, string area, WalExtractorJob job, CancellationToken ct)
    {
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            // not inherited: a caller reading our stdout (a pipe, `| tee`) must see its end when we exit, not when the extractor does
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = area,
        };
        start.ArgumentList.Add(WalExtractor.Command);
        start.ArgumentList.Add(area);
        using var process = Process.Start(start) ?? throw new IOException($"cannot start {binary}");
        await process.StandardInput.WriteAsync(job.ToJson().AsMemory(), ct).ConfigureAwait(false);
        process.StandardInput.Close();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!WalExtractor.IsRunning(area))
        {
            if (process.HasExited)
            {
                if (process.ExitCode == 0 && (File.Exists(Path.Combine(area, WalExtractor.DoneName)) || WalExtractor.Ended(area)))
                {
                    return process.Id; // all extracted already
                }
                var stderr = await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false);
                var log = Path.Combine(area, WalExtractor.LogName);
                var detail = stderr.Trim().Length > 0 ? stderr.Trim() : File.Exists(log) ? File.ReadLines(log).LastOrDefault() : null;
                throw new IOException($"the background WAL extraction exited at once (code {process.ExitCode}){(detail is null ? "" : ": " + detail)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new IOException($"the background WAL extraction (pid {process.Id}) did not start within 30 s");
            }
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
        return process.Id;
    }

    /// <summary>
    /// <c>pgcarestore resume-wal</c>: starts the extractor again for a local-mode restore whose extractor stopped
    /// (a reboot, a kill) before all WAL was delivered; files already in the area are not extracted again.
    /// </summary>
    public static async Task<int> ResumeAsync(BorgRepository repo, PgInstance instance, string dataDirectory, string binary, TextWriter output, CancellationToken ct)
    {
        var contextPath = RestoreContext.PathFor(dataDirectory);
        if (!File.Exists(contextPath))
        {
            throw new NotFoundException($"{dataDirectory} has no restore in progress ({contextPath} is missing): nothing to resume");
        }
        var context = RestoreContext.Read(contextPath);
        var area = RestoreContext.AreaFor(dataDirectory);
        if (context.Mode != RestoreContext.LocalMode)
        {
            throw new NotFoundException($"{dataDirectory} was restored in \"{context.Mode}\" mode: wal-fetch reads Borg itself, there is no extraction to resume");
        }
        if (WalExtractor.IsRunning(area))
        {
            throw new UnsafeException($"the WAL extraction for {dataDirectory} is already running (log {Path.Combine(area, WalExtractor.LogName)})");
        }
        if (!string.Equals(context.Repository, repo.Location, StringComparison.Ordinal))
        {
            throw new UnsafeException($"{dataDirectory} was restored from {context.Repository}, but the configuration's repository for instance {instance.Name} is {repo.Location}");
        }
        File.Delete(Path.Combine(area, WalExtractor.FailedName));
        File.Delete(Path.Combine(area, WalExtractor.DoneName));
        var pid = await StartAsync(binary, area, WalExtractorJob.For(context, repo, instance.User), ct).ConfigureAwait(false);
        await output.WriteLineAsync($"extracting the rest of the cycle's WAL into {area} in the background (process {pid}, log {Path.Combine(area, WalExtractor.LogName)}); PostgreSQL can be started again").ConfigureAwait(false);
        return 0;
    }
}
