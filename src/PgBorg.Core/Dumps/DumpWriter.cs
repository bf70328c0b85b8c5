using System.Diagnostics;
using PgBorg.Borg;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Dumps;

/// <summary>
/// One <c>pg_dump -Fc --compress=0</c> (or <c>pg_dumpall --globals-only</c>) streamed straight into Borg with
/// <c>borg create --content-from-command</c>: Borg runs the dump and reads its stdout, so no byte is written to disk
/// or copied through pgborg, and a dump that fails or dies yields no archive at all (Borg exits 2 and commits nothing).
/// The dump runs as the service user with a clean environment (<c>env -i</c>: Borg's passphrase never reaches it).
/// </summary>
public sealed class DumpWriter(Action? heartbeat = null)
{
    public sealed record Result(ArchiveName Archive, BorgArchiveStats Stats, TimeSpan Elapsed);

    public const string EnvProgram = "/usr/bin/env";

    /// <param name="existing">The names the repository held for this instance before the round: a dump's name never sorts
    /// before an older dump of its series (<see cref="Stamp.Next"/>), even after the clock stepped back.</param>
    /// <param name="quickLock">One short attempt at the repository lock (see <see cref="BorgRepository.CreateFromCommandAsync"/>);
    /// a lock still held then throws the <see cref="BorgException"/> with msgid LockTimeout, and nothing was dumped.</param>
    public async Task<Result> DumpAsync(PgInstance instance, int serverVersionNum, BorgRepository repo, string host, string? database,
        IEnumerable<string> existing, CancellationToken ct, bool quickLock = false)
    {
        var watch = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var kind = database is null ? ArchiveName.GlobalsKind : ArchiveName.DumpKind;
        var name = new ArchiveName(host, instance.Name, instance.MajorVersion, kind, database,
            Stamp.Next(SeriesStamps(existing, host, instance.Name, kind, database), started));
        var metadata = new DumpMetadata(DumpMetadata.CurrentFormat, kind, host, instance.Name, instance.MajorVersion, serverVersionNum,
            database, started, database is null ? "pg_dumpall --globals-only" : "pg_dump -Fc --compress=0", database is null ? "sql" : "custom");
        var stdinName = database is null ? "globals.sql" : NameCodec.Encode(database) + ".pgsql";
        try
        {
            var stats = await repo.CreateFromCommandAsync(name.ToString(), stdinName, metadata.ToJson(), instance.User.Name,
                ProducerCommand(instance, database), ct, heartbeat, quickLock).ConfigureAwait(false);
            return new Result(name, stats.Archive.Stats, watch.Elapsed);
        }
        catch (BorgException e) when (!(quickLock && e.IsLockTimeout))
        {
            throw new DumpException(e.Message);
        }
        catch (OperationCanceledException)
        {
            await RemoveCheckpointAsync(repo, name.ToString()).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The stamps of one series (a database's dumps, or the globals; partial ones too) among <paramref name="names"/>.</summary>
    internal static IEnumerable<string> SeriesStamps(IEnumerable<string> names, string host, string instance, string kind, string? database) =>
        names.Select(n => ArchiveName.TryParse(n, out var a) ? a : null)
            .Where(a => a is not null && a.Host == host && a.Instance == instance && a.BareKind == kind && a.Database == database)
            .Select(a => Stamp.Of(a!.Time));

    /// <summary>Stopped mid-dump (SIGTERM): Borg may have left NAME.checkpoint; remove it now rather than next round.</summary>
    private static async Task RemoveCheckpointAsync(BorgRepository repo, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await repo.DeleteAsync([name + ".checkpoint"], timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BorgException or ProcessFailedException or OperationCanceledException)
        {
            // the next round removes it
        }
    }

    /// <summary>
    /// <c>env -i VARS... setpriv [--reuid --regid --init-groups] --pdeathsig=TERM -- pg_dump ARGS...</c>: no shell, no
    /// inherited secrets, and the dump dies with Borg. Borg does not stop its command when it is itself stopped, and a
    /// Borg stopped just as it started the command (SIGTERM to a dump waiting for the lock) would leave it running.
    /// </summary>
    internal static IReadOnlyList<string> ProducerCommand(PgInstance instance, string? database)
    {
        List<string> args = database is null
            ? ["--globals-only", "--no-password", "--dbname", instance.ConnInfo("postgres")]
            : ["--format=custom", "--compress=0", "--no-password", "--dbname", instance.ConnInfo(database)];
        var spec = new ProcessSpec(instance.Tool(database is null ? "pg_dumpall" : "pg_dump"), args) { RunAs = instance.User, DieWithParent = true };
        var (program, arguments) = RunAsWrapper.Wrap(spec);
        var command = new List<string> { EnvProgram, "-i" };
        command.AddRange(instance.ChildEnvironment().Select(kv => $"{kv.Key}={kv.Value}"));
        command.Add(program);
        command.AddRange(arguments);
        return command;
    }
}
