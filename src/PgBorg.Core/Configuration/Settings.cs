namespace PgBorg.Configuration;

/// <summary>A Borg repository and what is needed to open it. The passphrase never leaves this object except into a child's environment.</summary>
public sealed record RepositorySettings(
    string Location,
    string? Passphrase,
    string? PassCommand,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan LockWait,
    string Compression,
    string? ChunkerParams)
{
    public override string ToString() => Location;
}

public sealed record DumpSettings(
    RepositorySettings Repository,
    TimeSpan Interval,
    TimeSpan KeepWithin,
    int KeepHourly,
    int KeepDaily,
    int KeepWeekly,
    int KeepMonthly,
    int KeepYearly);

public sealed record ArchiveSettings(
    RepositorySettings Repository,
    string Snapshot,
    TimeSpan IngestInterval,
    TimeSpan CycleMaxAge,
    int KeepCycles,
    TimeSpan KeepWithin);

/// <summary>
/// <c>[alerts]</c>: how old the newest WAL, base and dump may be before <c>pgborg status</c> exits 1 and the
/// <c>*_late</c> metrics say 1. Null ages: not archived, or not dumped, here.
/// </summary>
public sealed record AlertSettings(TimeSpan? MaxWalAge, TimeSpan IngestInterval, TimeSpan? MaxBaseAge, TimeSpan? MaxDumpAge)
{
    /// <summary>
    /// The configured max_wal_age, else 2 × archive_timeout + ingest_interval + 5 min: two forced switches missed.
    /// An archive_timeout of 0 (or unknown) counts as the 10 min pgcad requires at most.
    /// </summary>
    public TimeSpan WalAge(int archiveTimeoutSeconds) => MaxWalAge
        ?? 2 * TimeSpan.FromSeconds(archiveTimeoutSeconds > 0 ? archiveTimeoutSeconds : 600) + IngestInterval + TimeSpan.FromMinutes(5);
}

public sealed record DiscoverySettings(bool Debian, bool Systemd, string DebianRoot, IReadOnlyList<string> SystemdUnitDirectories)
{
    public const string DefaultDebianRoot = "/etc/postgresql";

    public static readonly IReadOnlyList<string> DefaultUnitDirectories =
        ["/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];
}

/// <summary>An <c>[instances.NAME]</c> table as written.</summary>
public sealed record InstanceSettings(
    string Name,
    string? DataDirectory,
    int? Port,
    string? SocketDirectory,
    string? User,
    string? BinDirectory,
    int Line);
