using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Archiving;

/// <summary>
/// <c>pgborg check</c>: configuration, PostgreSQL settings, repository access, and — the one check that proves
/// archiving works end to end — a forced WAL switch whose segment must reach a spool and then Borg.
/// </summary>
public sealed class ArchiveCheck(PgBorgConfig config, string host, string binary, ILogger log, TextWriter output)
{
    public sealed record Outcome(bool SettingsWrong, bool Failed);

    public async Task<Outcome> RunAsync(PgInstance instance, CancellationToken ct)
    {
        var failed = false;
        void Ok(string what) => output.WriteLine($"ok    {instance.Name}: {what}");
        void Fail(string what)
        {
            output.WriteLine($"FAIL  {instance.Name}: {what}");
            failed = true;
        }

        var settings = config.ArchiveFor(instance.Name);
        await using var session = await ServerSession.OpenAsync(instance, ct).ConfigureAwait(false);
        var server = await session.SettingsAsync(ct).ConfigureAwait(false);
        if (SettingsCheck.IdentityProblem(instance, server, WalFileCheck.ReadSystemIdentifier(instance.DataDirectory)) is { } wrong)
        {
            Fail(wrong);
            return new Outcome(true, true);
        }
        var problems = SettingsCheck.Problems(server, binary);
        if (problems.Count > 0)
        {
            output.WriteLine($"FAIL  {SettingsCheck.Describe(instance, server, problems)}");
            return new Outcome(true, true);
        }
        Ok($"PostgreSQL {server.ServerVersionNum / 10000} settings for archiving (wal_level {server.WalLevel}, archive_timeout {server.ArchiveTimeoutSeconds}s)");

        var repos = ArchiveRepositories.Open(settings, config.StateDirectory, log);
        IReadOnlyList<StoredCycle> cycles;
        try
        {
            cycles = await repos.CyclesAsync(host, instance.Name, ct).ConfigureAwait(false);
            Ok($"archive repository {repos.Archive.Location} and WAL repository {repos.Wal.Location} readable, {cycles.Count(c => c.IsComplete)} complete cycle(s)");
        }
        catch (BorgException e)
        {
            Fail(e.Message);
            return new Outcome(false, true);
        }
        try
        {
            var dump = config.DumpFor(instance.Name);
            var dumpRepo = new BorgRepository(dump.Repository, config.StateDirectory, log);
            await dumpRepo.ListAsync(ArchiveName.InstanceGlob(host, instance.Name), ct).ConfigureAwait(false);
            Ok($"dump repository {dumpRepo.Location} readable");
        }
        catch (ConfigException)
        {
            output.WriteLine($"-     {instance.Name}: no dump repository configured");
        }
        catch (BorgException e)
        {
            Fail(e.Message);
        }

        var spools = SpoolDirectory.ActiveCycles(instance.DataDirectory);
        if (spools.Count == 0)
        {
            Fail($"no active spool in {SpoolDirectory.RootFor(instance.DataDirectory)}: pgcad has not started a cycle, wal-push fails and WAL piles up in pg_wal");
            return new Outcome(false, true);
        }
        var switched = await session.SwitchWalAsync(ct).ConfigureAwait(false);
        var segment = switched.WalFile!;
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var archiver = await session.ArchiverAsync(ct).ConfigureAwait(false);
            if (string.CompareOrdinal(archiver.Lsn, segment) >= 0)
            {
                Ok($"forced WAL switch: {segment} archived by PostgreSQL into the spool");
                break;
            }
            if (DateTime.UtcNow > until)
            {
                Fail($"forced WAL switch: {segment} was not archived within 60 s (last failed: {archiver.WalFile}); see the PostgreSQL log for archive_command errors");
                return new Outcome(false, true);
            }
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
        var ingestWait = settings.IngestInterval * 3 + TimeSpan.FromSeconds(30);
        until = DateTime.UtcNow + ingestWait;
        while (true)
        {
            var stored = await repos.CyclesAsync(host, instance.Name, ct).ConfigureAwait(false);
            if (stored.Any(c => c.WalFiles.Contains(segment)))
            {
                Ok($"forced WAL switch: {segment} is in Borg");
                break;
            }
            if (DateTime.UtcNow > until)
            {
                Fail($"forced WAL switch: {segment} did not reach Borg within {(int)ingestWait.TotalSeconds} s: is pgcad running?");
                break;
            }
            await Task.Delay(1000, ct).ConfigureAwait(false);
        }
        return new Outcome(false, failed);
    }
}
