using System.Text;
using PgBorg.Archiving;
using PgBorg.Configuration;
using PgBorg.PostgreSql;
using PgBorg.State;
using PgBorg.Status;

namespace PgBorg.Metrics;

/// <summary>
/// The Prometheus metrics of pgcad and pgdumpd, from their state (no repository, no server): named after
/// pgbackrest_exporter's, with <c>instance</c> and <c>database</c> labels; every age both as a timestamp and in
/// seconds, so alerts need no arithmetic. Families with one name from both daemons are merged into one.
/// </summary>
public sealed class MetricsReport(PgBorgConfig config, DateTimeOffset now)
{
    private readonly Dictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);

    private MetricFamily F(string name, string type, string help)
    {
        if (!_families.TryGetValue(name, out var family))
        {
            _families[name] = family = new MetricFamily(name, type, help);
        }
        return family;
    }

    private static double? Unix(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds() / 1000.0;

    private double? Age(DateTimeOffset? t) => t is { } v ? Math.Max(0, (now - v).TotalSeconds) : null;

    private static double Flag(bool b) => b ? 1 : 0;

    /// <summary>pgborg_up and the time of the report, so a daemon that stopped writing is noticed.</summary>
    public MetricsReport AddDaemon(DaemonState state, bool up)
    {
        var d = ("daemon", state.Daemon);
        F("pgborg_up", "gauge", "1 when the daemon that wrote these metrics is running").Add(Flag(up), d);
        F("pgborg_report_timestamp_seconds", "gauge", "When the daemon last wrote its state").Add(Unix(state.WrittenAt), d);
        foreach (var r in state.Repositories)
        {
            F("pgborg_repository_archives", "gauge", "Archives of this host's instances in the repository")
                .Add(r.Archives, d, ("repository", r.Repository));
        }
        return this;
    }

    /// <summary>Per instance; the spool is read live (a directory listing): it is what waits for Borg right now.</summary>
    public MetricsReport AddArchive(DaemonState state, IReadOnlyList<PgInstance> instances)
    {
        var wanted = instances.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var s in state.Instances.Where(i => wanted.ContainsKey(i.Instance)))
        {
            var i = ("instance", s.Instance);
            var alerts = config.AlertsFor(s.Instance);
            var pg = s.Postgres;
            F("pgborg_base_last_completion_timestamp_seconds", "gauge", "End of the newest complete base backup").Add(Unix(s.NewestBase?.StoppedAt), i);
            F("pgborg_base_since_last_completion_seconds", "gauge", "Age of the newest complete base backup").Add(Age(s.NewestBase?.StoppedAt), i);
            F("pgborg_base_size_bytes", "gauge", "Size of the newest complete base backup as read").Add(s.NewestBase?.OriginalSize, i);
            F("pgborg_base_compressed_size_bytes", "gauge", "Compressed size of the newest complete base backup").Add(s.NewestBase?.CompressedSize, i);
            F("pgborg_base_duration_seconds", "gauge", "Time the newest complete base backup kept the server in backup mode").Add(s.NewestBase?.Seconds, i);
            F("pgborg_base_late", "gauge", "1 when the newest complete base is older than max_base_age").Add(Flag(Lateness.Base(s, alerts, now)), i);
            F("pgborg_wal_last_archived_timestamp_seconds", "gauge", "When the newest WAL segment in Borg was stored").Add(Unix(s.NewestWalStoredAt), i);
            F("pgborg_wal_since_last_archived_seconds", "gauge", "Age of the newest WAL segment in Borg").Add(Age(s.NewestWalStoredAt), i);
            F("pgborg_wal_archive_lag_segments", "gauge", "WAL segments PostgreSQL completed that are not in Borg yet")
                .Add(pg is null ? null : WalLag.Segments(pg.CurrentWal, s.NewestWal, pg.WalSegmentSize), i);
            F("pgborg_wal_late", "gauge", "1 when completed WAL has waited longer than max_wal_age to reach Borg").Add(Flag(Lateness.Wal(s, pg, alerts, now)), i);
            F("pgborg_cycles_kept", "gauge", "Complete cycles (base plus WAL) in Borg").Add(s.CompleteCycles, i);
            F("pgborg_restorable_oldest_timestamp_seconds", "gauge", "The oldest time a restore can reach").Add(Unix(s.OldestRestorableAt), i);
            F("pgborg_archive_round_success", "gauge", "1 when pgcad's last round for the instance succeeded").Add(Flag(s.LastResult == InstanceState.Ok), i);
            F("pgborg_archive_round_timestamp_seconds", "gauge", "End of pgcad's last round for the instance").Add(Unix(s.LastRoundAt), i);
            F("pgborg_archive_round_duration_seconds", "gauge", "Duration of pgcad's last round for the instance").Add(s.LastRoundSeconds, i);
            F("pgborg_postgres_archiver_failed_total", "counter", "pg_stat_archiver.failed_count: archive_command failures since the statistics reset").Add(pg?.FailedCount, i);
            F("pgborg_postgres_archiver_archived_total", "counter", "pg_stat_archiver.archived_count").Add(pg?.ArchivedCount, i);
            var (_, files, bytes) = SpoolBacklog.Read(wanted[s.Instance].DataDirectory);
            F("pgborg_spool_files", "gauge", "WAL files in the spool waiting for Borg").Add(files, i);
            F("pgborg_spool_bytes", "gauge", "Bytes of WAL in the spool waiting for Borg").Add(bytes, i);
            F("pgborg_spool_wal_dropped", "gauge", "1 when wal-push dropped WAL (spool_max_size) from a spool still active: a cycle with a gap")
                .Add(Flag(SpoolLimit.NewestDrop(wanted[s.Instance].DataDirectory) is not null), i);
        }
        return this;
    }

    public MetricsReport AddDumps(DaemonState state, IEnumerable<string> instances)
    {
        var wanted = instances.ToHashSet(StringComparer.Ordinal);
        foreach (var s in state.Instances.Where(i => wanted.Contains(i.Instance)))
        {
            var i = ("instance", s.Instance);
            F("pgborg_dump_round_success", "gauge", "1 when pgdumpd's last round reached the instance").Add(Flag(s.LastResult == InstanceState.Ok), i);
            F("pgborg_dump_round_timestamp_seconds", "gauge", "End of pgdumpd's last round").Add(Unix(s.LastRoundAt), i);
            F("pgborg_dump_round_duration_seconds", "gauge", "Duration of pgdumpd's last round").Add(s.LastRoundSeconds, i);
        }
        foreach (var d in state.Databases.Where(d => wanted.Contains(d.Instance)))
        {
            var labels = new[] { ("instance", d.Instance), ("database", d.Label) };
            var alerts = config.AlertsFor(d.Instance);
            F("pgborg_dump_last_start_timestamp_seconds", "gauge", "Start of the newest dump in Borg").Add(Unix(d.NewestDumpAt), labels);
            F("pgborg_dump_since_last_start_seconds", "gauge", "Age of the newest dump in Borg").Add(Age(d.NewestDumpAt), labels);
            F("pgborg_dump_size_bytes", "gauge", "Size of the newest dump").Add(d.NewestDumpSize, labels);
            F("pgborg_dump_duration_seconds", "gauge", "Duration of the newest dump").Add(d.NewestDumpSeconds, labels);
            F("pgborg_dump_success", "gauge", "1 when the last dump attempt succeeded").Add(Flag(d.LastResult == InstanceState.Ok), labels);
            F("pgborg_dump_late", "gauge", "1 when the newest dump is older than max_dump_age").Add(Flag(Lateness.Dump(d, alerts, now)), labels);
        }
        return this;
    }

    public string Render()
    {
        var o = new StringBuilder();
        foreach (var family in _families.Values.Where(f => !f.IsEmpty))
        {
            family.WriteTo(o);
        }
        return o.ToString();
    }
}
