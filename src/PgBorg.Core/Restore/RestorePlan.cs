using PgBorg.Archiving;

namespace PgBorg.Restore;

/// <summary>
/// Everything a restore will do, decided before anything is touched: the base, the WAL range it replays, the
/// recovery settings. <c>info</c> and <c>--dry-run</c> print it.
/// </summary>
public sealed record RestorePlan(
    RestoreTarget Target,
    StoredCycle Cycle,
    BaseMetadata Base,
    string FirstWal,
    string LastWal,
    IReadOnlyList<string> WalArchives,
    IReadOnlyDictionary<string, string> RecoverySettings,
    string? Note);
