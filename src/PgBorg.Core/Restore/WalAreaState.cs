namespace PgBorg.Restore;

/// <summary>What the restore area says to the WAL extractor, read by its <see cref="WalAreaAgent"/>.</summary>
/// <param name="Ended">Recovery ended (<c>wal-fetch --end</c>), or the area is gone.</param>
/// <param name="Waiting">Extracted segments not yet taken by replay.</param>
/// <param name="ReplayWaits">wal-fetch waits for a file that is not there yet: the read-ahead limit must not hold it up.</param>
public sealed record WalAreaState(bool Ended, int Waiting, bool ReplayWaits);
