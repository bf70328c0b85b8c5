namespace PgBorg.Manual;

/// <summary>What a value names, for the shell completion: nothing to complete, a file, or a directory.</summary>
public enum ValueKind { Text, File, Directory }
