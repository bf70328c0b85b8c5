namespace PgBorg.Manual;

/// <summary>An option as its help shows it.</summary>
/// <param name="ValueName">Null for a flag.</param>
/// <param name="Values">The only values accepted, when the option has a fixed set (shown and completed).</param>
/// <param name="Common">Accepted by every command (<c>--config</c>, <c>--instance</c>...): listed once per page.</param>
public sealed record OptionHelp(IReadOnlyList<string> Names, string? ValueName, IReadOnlyList<string> Values, string Description, bool Common)
{
    /// <summary>Values that are paths, so the completion offers files (or directories).</summary>
    public ValueKind Kind { get; init; } = ValueKind.Text;
}
