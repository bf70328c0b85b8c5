namespace PgBorg.Dumps;

/// <summary>A dump did not become a valid archive; the partial archive was removed.</summary>
public sealed class DumpException(string message) : Exception(message);

/// <summary>Nothing matches what was asked for (exit 3); the message lists what exists.</summary>
public sealed class NotFoundException(string message) : Exception(message);
