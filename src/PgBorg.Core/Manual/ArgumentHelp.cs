namespace PgBorg.Manual;

/// <summary>A positional argument as its help shows it.</summary>
public sealed record ArgumentHelp(string Name, string Description, bool Optional, ValueKind Kind);
