namespace PgBorg.Manual;

/// <summary>
/// One command of the command line as its help describes it: the single source of the manual pages and the
/// shell completion, so neither can drift from what <c>--help</c> prints.
/// </summary>
/// <param name="Path">The words that invoke it after the program name, e.g. <c>["pgcarestore", "restore"]</c>.</param>
public sealed record CommandHelp(
    IReadOnlyList<string> Path,
    string Description,
    IReadOnlyList<ArgumentHelp> Arguments,
    IReadOnlyList<OptionHelp> Options,
    IReadOnlyList<CommandHelp> Subcommands)
{
    public string Name => Path.Count == 0 ? "pgborg" : Path[^1];

    /// <summary>This command and every command below it, depth first.</summary>
    public IEnumerable<CommandHelp> SelfAndDescendants() => Subcommands.SelectMany(s => s.SelfAndDescendants()).Prepend(this);
}
