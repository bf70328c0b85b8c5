using PgBorg.Borg;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Dumps;

/// <summary>
/// Streams a dump out of Borg: to our stdout, or into a command run as the instance's service user without a
/// shell (<c>setpriv</c>, argument vector kept as given, PATH starting with the instance's binaries, PGHOST/PGPORT
/// pointing at the instance). The result is a failure if either side failed. A command that stops reading early
/// and exits 0 (<c>pg_restore -l</c> reads only the table of contents) is a success.
/// </summary>
public static class DumpExtractor
{
    /// <param name="transfer">Gets the bytes streamed so far and the dump's size (an operator's progress display).</param>
    public static async Task ToStreamAsync(BorgRepository repo, DumpEntry entry, Stream destination, CancellationToken ct, IProgress<BorgTransfer>? transfer = null)
    {
        await using var extract = repo.StartExtractToStdout(entry.ArchiveName, transfer);
        var pump = await StreamPump.CopyAsync(extract.Output, destination, ct, closeDestination: false).ConfigureAwait(false);
        if (pump.ReaderClosedEarly)
        {
            await extract.AbortAsync().ConfigureAwait(false);
            throw new DumpException("the output was closed before the dump was fully written");
        }
        await extract.CompleteAsync(ct).ConfigureAwait(false);
    }

    public static async Task<int> ToCommandAsync(BorgRepository repo, DumpEntry entry, PgInstance instance, IReadOnlyList<string> command, CancellationToken ct,
        IProgress<BorgTransfer>? transfer = null)
    {
        var program = ResolveProgram(command[0], instance);
        var cwd = Directory.GetCurrentDirectory();
        var spec = new ProcessSpec(program, command.Skip(1).ToList())
        {
            RunAs = instance.User,
            Environment = instance.ChildEnvironment(),
            WorkingDirectory = cwd,
            // pg_restore only: it runs nothing of the service user's. psql, say, runs that user's ~/.psqlrc, whose
            // commands would get the same access to every file on the host
            KeepReadAccess = OsUser.IsRoot && instance.User.Uid != 0 && !CanSearch(cwd, instance.User) && Path.GetFileName(program) == "pg_restore",
        };
        await using var extract = repo.StartExtractToStdout(entry.ArchiveName, transfer);
        await using var consumer = ChildProcess.Start(spec, stdin: true, inheritOutput: true);
        var pump = await StreamPump.CopyAsync(extract.Output, consumer.StandardInput, ct).ConfigureAwait(false);
        var consumerRc = await consumer.WaitAsync(ct).ConfigureAwait(false);
        if (pump.ReaderClosedEarly)
        {
            await extract.AbortAsync().ConfigureAwait(false);
            if (consumerRc != 0)
            {
                throw new ProcessFailedException(program, consumerRc, "");
            }
            return 0;
        }
        await extract.CompleteAsync(ct).ConfigureAwait(false);
        if (consumerRc != 0)
        {
            throw new ProcessFailedException(program, consumerRc, "");
        }
        return 0;
    }

    /// <summary>A bare command name is looked up in the instance's binaries first, then the usual PATH.</summary>
    private static string ResolveProgram(string name, PgInstance instance)
    {
        if (name.Contains('/'))
        {
            return Path.GetFullPath(name);
        }
        foreach (var dir in new[] { instance.BinDirectory, "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin" })
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new ProcessFailedException(name, 127, $"command not found: {name} (looked in {instance.BinDirectory} and the standard PATH)");
    }

    /// <summary>Whether <paramref name="user"/> can reach <paramref name="dir"/> (search permission on it and every parent).</summary>
    private static bool CanSearch(string dir, OsUser user)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
        {
            var mode = File.GetUnixFileMode(d.FullName);
            var owner = FileStatus.Of(d.FullName)?.Uid;
            var ok = owner == user.Uid ? mode.HasFlag(UnixFileMode.UserExecute) : mode.HasFlag(UnixFileMode.OtherExecute);
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }
}
