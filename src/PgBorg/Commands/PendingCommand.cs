using System.CommandLine;

namespace PgBorg.Cli.Commands;

/// <summary>Commands of INTERFACE.md that are not built yet: they say so and exit 2, touching nothing.</summary>
internal static class PendingCommand
{
    public static readonly (string Name, string Description)[] Names =
    [
        ("check", "Check configuration, settings and archiving end to end (not available yet)"),
        ("status", "Per-instance status (not available yet)"),
    ];

    public static Command Create(string name, string description)
    {
        var command = new Command(name, description);
        var rest = new Argument<string[]>("ARGS") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        command.Arguments.Add(rest);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(_ =>
        {
            Console.Error.WriteLine($"pgborg: {name} is not available yet in this version of pgborg");
            return ExitCodes.Usage;
        });
        return command;
    }
}
