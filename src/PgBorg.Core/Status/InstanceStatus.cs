using System.Text.Json.Serialization;
using PgBorg.Archiving;
using PgBorg.Configuration;
using PgBorg.PostgreSql;
using PgBorg.State;

namespace PgBorg.Status;

/// <summary>
/// What <c>pgborg status</c> reports for one instance: the daemons' state files, the spool and PostgreSQL's live
/// view — never a repository, whose lock a base backup or a compaction may hold for hours.
/// </summary>
public sealed record InstanceStatus(
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("dataDirectory")] string DataDirectory,
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("problems")] List<string> Problems,
    [property: JsonPropertyName("archive")] InstanceState? Archive,
    [property: JsonPropertyName("dump")] InstanceState? Dump,
    [property: JsonPropertyName("databases")] List<DatabaseState> Databases,
    [property: JsonPropertyName("lateDatabases")] List<string> LateDatabases,
    [property: JsonPropertyName("spool")] SpoolStatus Spool,
    [property: JsonPropertyName("cycleStarting")] string? CycleStarting,
    [property: JsonPropertyName("postgres")] ArchiverStats? Postgres,
    [property: JsonPropertyName("postgresError")] string? PostgresError,
    [property: JsonPropertyName("walLagSegments")] long? WalLagSegments,
    [property: JsonPropertyName("walLate")] bool WalLate,
    [property: JsonPropertyName("baseLate")] bool BaseLate)
{
    public static async Task<InstanceStatus> ReadAsync(PgBorgConfig config, PgInstance instance, DaemonState? pgcad, DaemonState? pgdumpd,
        DateTimeOffset now, CancellationToken ct)
    {
        var alerts = config.AlertsFor(instance.Name);
        var archive = pgcad?.Instances.FirstOrDefault(i => i.Instance == instance.Name);
        var dump = pgdumpd?.Instances.FirstOrDefault(i => i.Instance == instance.Name);
        var databases = pgdumpd?.Databases.Where(d => d.Instance == instance.Name).ToList() ?? [];
        var (postgres, postgresError) = await LiveAsync(instance, ct).ConfigureAwait(false);
        var (active, files, bytes) = SpoolBacklog.Read(instance.DataDirectory);
        // a spool newer than the newest complete base is a cycle whose base is being taken (or failed and is retried):
        // the spool is made before the base starts, so the filesystem says so without asking pgcad
        var starting = archive is null ? null : SpoolDirectory.ActiveCycles(instance.DataDirectory)
            .LastOrDefault(c => string.CompareOrdinal(c, archive.NewestBase?.Cycle ?? "") > 0);
        var problems = new List<string>();
        long? lag = null;
        bool walLate = false, baseLate = false;
        if (archive is not null)
        {
            lag = postgres is null ? null : WalLag.Segments(postgres.CurrentWal, archive.NewestWal, postgres.WalSegmentSize);
            walLate = Lateness.Wal(archive, postgres, alerts, now);
            baseLate = Lateness.Base(archive, alerts, now);
            if (archive.LastResult != InstanceState.Ok)
            {
                problems.Add($"archiving failing ({archive.ConsecutiveFailures}x): {archive.LastError}");
            }
            if (walLate)
            {
                problems.Add($"WAL late: {lag} completed segment(s) not in Borg, newest stored {Ago(archive.NewestWalStoredAt, now)}");
            }
            if (baseLate)
            {
                problems.Add(archive.NewestBase is null ? "no complete base backup" : $"newest complete base is {Ago(archive.NewestBase.StoppedAt, now)} old (max_base_age {Duration.Format(alerts.MaxBaseAge!.Value)})");
            }
        }
        var drop = SpoolLimit.NewestDrop(instance.DataDirectory);
        if (drop is { } d)
        {
            problems.Add($"WAL DROPPED from {d.File} on (spool_max_size reached): cycle {d.Cycle} cannot be restored past it");
        }
        if (postgres?.Failing == true)
        {
            problems.Add($"archive_command failing: {postgres.LastFailedWal} at {postgres.LastFailedAt:yyyy-MM-dd HH:mm:ss} UTC ({postgres.FailedCount} failures)");
        }
        if (dump?.LastResult is InstanceState.Failed)
        {
            problems.Add($"dumps failing: {dump.LastError}");
        }
        var late = databases.Where(d => Lateness.Dump(d, alerts, now)).Select(d => d.Label).ToList();
        problems.AddRange(databases.Where(d => d.LastResult != InstanceState.Ok).Select(d => $"dump of {d.Label} failed: {d.LastError}"));
        problems.AddRange(late.Select(d => $"dump of {d} late (max_dump_age {Duration.Format(alerts.MaxDumpAge!.Value)})"));
        return new InstanceStatus(instance.Name, instance.DataDirectory, problems.Count == 0, problems, archive, dump, databases, late,
            new SpoolStatus(active, files, bytes, drop?.File, drop?.Cycle), starting, postgres, postgresError, lag, walLate, baseLate);
    }

    /// <summary>pg_stat_archiver now, in a few seconds at most: a server that does not answer is reported, not waited for.</summary>
    private static async Task<(ArchiverStats?, string?)> LiveAsync(PgInstance instance, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await using var session = await ServerSession.OpenAsync(instance, timeout.Token).ConfigureAwait(false);
            return (await session.StatsAsync(timeout.Token).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is PgException or IOException or Processes.ProcessFailedException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return (null, e is OperationCanceledException ? "PostgreSQL did not answer within 5 s" : e.Message);
        }
    }

    public static string Ago(DateTimeOffset? t, DateTimeOffset now) => t is null ? "never"
        : $"{t.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({Duration.Format(TimeSpan.FromSeconds(Math.Max(0, (long)(now - t.Value).TotalSeconds)))} ago)";

    public void Print(TextWriter o, DateTimeOffset now)
    {
        o.WriteLine($"{Instance} ({DataDirectory}): {(Healthy ? "healthy" : "NOT healthy")}");
        if (Archive is { } a)
        {
            o.WriteLine($"  archiving:   last round {Ago(a.LastRoundAt, now)}: {a.LastResult}{(a.LastError is null ? "" : ": " + a.LastError)}");
            o.WriteLine($"  cycles:      {a.CompleteCycles} complete; newest base {Ago(a.NewestBase?.StoppedAt, now)}{(a.NewestBase is null ? "" : $", cycle {a.NewestBase.Cycle}")}; restorable from {Ago(a.OldestRestorableAt, now)}");
            o.WriteLine($"  WAL:         newest in Borg {a.NewestWal ?? "none"}, stored {Ago(a.NewestWalStoredAt, now)}; lag {(WalLagSegments is null ? "?" : WalLagSegments.ToString())} segment(s)");
        }
        else
        {
            o.WriteLine("  archiving:   pgcad has not reported on this instance");
        }
        if (CycleStarting is { } cycle)
        {
            o.WriteLine($"  new cycle:   {cycle}: base backup in progress or to be retried (started {Ago(Naming.Stamp.TryParse(cycle, out var t) ? t : null, now)})");
        }
        o.WriteLine($"  spool:       {Spool.Active} active; {Spool.Files} file(s) waiting ({Borg.BorgRepository.FormatBytes(Spool.Bytes)})");
        o.WriteLine(Postgres is { } p
            ? $"  PostgreSQL:  last archived {(p.LastArchivedWal is null ? "none" : $"{p.LastArchivedWal} {Ago(p.LastArchivedAt, now)}")}; "
                + (p.LastFailedWal is null ? "no failure" : $"last failed {p.LastFailedWal} {Ago(p.LastFailedAt, now)}") + $"; {p.FailedCount} failures"
            : $"  PostgreSQL:  {PostgresError}");
        if (Dump is { } d)
        {
            o.WriteLine($"  dumps:       last round {Ago(d.LastRoundAt, now)}: {d.LastResult}{(d.LastError is null ? "" : ": " + d.LastError)}");
        }
        foreach (var db in Databases)
        {
            o.WriteLine($"  dump:        {db.Label}: newest {Ago(db.NewestDumpAt, now)}{(db.NewestDumpSize is { } size ? $", {Borg.BorgRepository.FormatBytes(size)}" : "")}; last attempt {db.LastResult}");
        }
        foreach (var problem in Problems)
        {
            o.WriteLine($"  problem:     {problem}");
        }
    }
}
