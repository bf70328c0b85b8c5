namespace PgBorg.LegacyConfig;

/// <summary>One <c>KEY = VALUE</c> of an ini section, with the line it starts on (for comments and errors).</summary>
public sealed record IniEntry(string Key, string Value, int Line);
