namespace PgBorg.LegacyConfig;

/// <summary>
/// A PostgreSQL instance found on this host, by the name pgborg's discovery gives it. The earlier tool's ini
/// names instances but not their data directories, and pgborg needs the data directory of every instance that
/// has its own settings.
/// </summary>
public sealed record KnownInstance(string Name, string DataDirectory, int MajorVersion);
