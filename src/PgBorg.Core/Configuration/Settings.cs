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

/// <summary>
/// <c>[archive]</c> of one instance. <see cref="WalRepository"/> holds the WAL batches, <see cref="Repository"/> the
/// bases, tablespaces and restore points: a repository has one writer at a time, so WAL in the bases' repository
/// would wait for every base's <c>borg create</c> (hours at terabytes) and for every compact.
/// </summary>
public sealed record ArchiveSettings(
    RepositorySettings Repository,
    string Snapshot,
    TimeSpan IngestInterval,
    TimeSpan CycleMaxAge,
    int KeepCycles,
    TimeSpan KeepWithin)
{
    /// <summary>Where WAL goes: wal_repository, else the archive repository's location with "-wal" appended.</summary>
    public RepositorySettings WalRepository { get; init; } = Repository with { Location = WalRepositoryLocation.Default(Repository.Location) };

    /// <summary>After each window of this length, the window's WAL batches become one archive per instance.</summary>
    public TimeSpan WalConsolidation { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// spool_max_size: past this many bytes in the spools, wal-push drops WAL (and marks the cycle broken) instead of
    /// failing, so PostgreSQL does not fill its own disk. Null (the default): never acknowledge WAL that was not stored.
    /// </summary>
    public long? SpoolMaxSize { get; init; }
}

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
