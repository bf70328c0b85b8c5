using System.CommandLine;
using System.CommandLine.Completions;
using PgBorg.Manual;

namespace PgBorg.Cli;

/// <summary>
/// The command tree as its help describes it (<see cref="CommandHelp"/>), for the manual pages and the bash
/// completion: both are generated from the same Command, Option and Argument objects that parse the command line.
/// </summary>
internal static class HelpModel
{
    public static CommandHelp From(Command root) => Map(root, [], []);

    private static CommandHelp Map(Command command, IReadOnlyList<string> path, IReadOnlyList<Option> inherited)
    {
        var own = command.Options.Where(o => !o.Hidden).ToList();
        var options = own.Concat(inherited.Where(i => !own.Contains(i))).Select(o => Option(o, o.Recursive)).ToList();
        var passDown = inherited.Concat(own.Where(o => o.Recursive)).Distinct().ToList();
        return new CommandHelp(
            path,
            command.Description ?? "",
            command.Arguments.Where(a => !a.Hidden).Select(a => new ArgumentHelp(a.Name, a.Description ?? "", a.Arity.MinimumNumberOfValues == 0, Kind(a.Name))).ToList(),
            options,
            command.Subcommands.Where(c => !c.Hidden).Select(c => Map(c, [.. path, c.Name], passDown)).ToList());
    }

    private static OptionHelp Option(Option o, bool common)
    {
        // --help and --version take no value whatever their type says
        var flag = o.ValueType == typeof(bool) || o.Arity.MaximumNumberOfValues == 0;
        var values = flag ? [] : o.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
        // the DOS-style aliases System.CommandLine adds to --help (/?, /h) are not how anyone types options here
        var names = o.Aliases.Where(a => a.StartsWith('-')).Order(StringComparer.Ordinal).Append(o.Name).ToList();
        return new OptionHelp(names, flag ? null : o.HelpName ?? o.Name.TrimStart('-').ToUpperInvariant(), values, o.Description ?? "", common)
        {
            Kind = Kind(o.Name),
        };
    }

    /// <summary>Which values name files or directories, by the naming convention of our options (--config, --target-dir, DIR, PATH).</summary>
    private static ValueKind Kind(string name) => name switch
    {
        "--config" or "--pgca" or "--pgdump" or "PATH" => ValueKind.File,
        "DIR" => ValueKind.Directory,
        _ when name.EndsWith("-dir", StringComparison.Ordinal) => ValueKind.Directory,
        _ => ValueKind.Text,
    };
}
