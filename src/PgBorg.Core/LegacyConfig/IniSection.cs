namespace PgBorg.LegacyConfig;

/// <summary>One <c>[NAME]</c> section of an ini file and its entries in file order.</summary>
public sealed record IniSection(string Name, int Line, IReadOnlyList<IniEntry> Entries);
