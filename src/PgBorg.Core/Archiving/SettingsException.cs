namespace PgBorg.Archiving;

/// <summary>The server is not set up for archiving (exit 2 at start).</summary>
public sealed class SettingsException(string message) : Exception(message);
