using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Dumps;

/// <summary>
/// Streams one <c>pg_dump -Fc --compress=0</c> (or <c>pg_dumpall --globals-only</c>), run as the service user,
/// into <c>borg create ... -</c> through a bounded buffer: no temporary file, constant memory.
/// Borg stores a truncated stream with rc 0 when the producer dies, so the archive is written under a
/// <c>partial-</c> name and renamed to its final name only when pg_dump and Borg both succeeded; otherwise it is deleted.
/// </summary>
public sealed class DumpWriter(ILogger log, Action? heartbeat = null)
{
    public sealed record Result(ArchiveName Archive, long Bytes, BorgArchiveStats Stats, TimeSpan Elapsed);

    public async Task<Result> DumpAsync(PgInstance instance, int serverVersionNum, BorgRepository repo, string host, string? database, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var kind = database is null ? ArchiveName.GlobalsKind : ArchiveName.DumpKind;
        var final = new ArchiveName(host, instance.Name, instance.MajorVersion, kind, database, started);
        var partial = final.AsPartial();
        var metadata = new DumpMetadata(DumpMetadata.CurrentFormat, kind, host, instance.Name, instance.MajorVersion, serverVersionNum,
            database, started, database is null ? "pg_dumpall --globals-only" : "pg_dump -Fc --compress=0", database is null ? "sql" : "custom");
        var stdinName = database is null ? "globals.sql" : NameCodec.Encode(database) + ".pgsql";

        var producerSpec = ProducerSpec(instance, database);
        await using var producer = ChildProcess.Start(producerSpec, stdout: true);
        await using var borg = repo.StartCreateFromStdin(partial.ToString(), stdinName, metadata.ToJson(), instance.User.Name, ct);
        var stored = false;
        try
        {
            var pump = await StreamPump.CopyAsync(producer.StandardOutput, borg.Input, ct, _ => heartbeat?.Invoke()).ConfigureAwait(false);
            if (pump.ReaderClosedEarly)
            {
                // Borg went away mid-stream: stop the producer, then report Borg's own error
                await producer.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            var producerRc = await producer.WaitAsync(ct).ConfigureAwait(false);
            var stats = await borg.CompleteAsync(ct).ConfigureAwait(false);
            if (producerRc != 0)
            {
                throw new DumpException(ProcessFailedException.Describe(producerSpec.Program, producerRc, producer.StderrTail));
            }
            if (pump.ReaderClosedEarly)
            {
                throw new DumpException("borg create stopped reading before the dump ended");
            }
            await repo.RenameAsync(partial.ToString(), final.ToString(), ct).ConfigureAwait(false);
            stored = true;
            return new Result(final, pump.Bytes, stats.Archive.Stats, watch.Elapsed);
        }
        finally
        {
            if (!stored)
            {
                await DeletePartialAsync(repo, partial.ToString()).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Removes a partial archive (and the checkpoint an interrupted Borg may have left) even while we are being cancelled.</summary>
    private async Task DeletePartialAsync(BorgRepository repo, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await repo.DeleteAsync([name, name + ".checkpoint"], timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BorgException or ProcessFailedException or OperationCanceledException)
        {
            Log.InstanceFailed(log, name, $"could not delete the incomplete archive now ({e.Message}); the next round removes it");
        }
    }

    private static ProcessSpec ProducerSpec(PgInstance instance, string? database)
    {
        List<string> args = database is null
            ? ["--globals-only", "--no-password", "--dbname", instance.ConnInfo("postgres")]
            : ["--format=custom", "--compress=0", "--no-password", "--dbname", instance.ConnInfo(database)];
        return new ProcessSpec(instance.Tool(database is null ? "pg_dumpall" : "pg_dump"), args)
        {
            RunAs = instance.User,
            Environment = instance.ChildEnvironment(),
            WorkingDirectory = "/",
        };
    }
}
