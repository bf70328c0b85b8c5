using System.CommandLine;
using System.Globalization;
using System.Reflection;
using PgBorg.Manual;

namespace PgBorg.Cli.Commands;

/// <summary>
/// Hidden commands the package build runs: <c>pgborg __man DIR --config-example FILE</c> writes the manual pages,
/// <c>pgborg __completion</c> prints the bash completion. Both read the live command tree, so the installed
/// documentation is exactly what <c>--help</c> says.
/// </summary>
internal static class DocumentationCommands
{
    public static Command Man(Func<Command> root)
    {
        var dir = new Argument<string>("DIR") { Description = "Directory for pgborg.1, one page per tool name, and pgborg.toml.5" };
        var example = new Option<string>("--config-example") { Description = "The commented example configuration (packaging/pgborg.toml)", Required = true };
        var command = new Command("__man", "Write the manual pages") { Hidden = true };
        command.Arguments.Add(dir);
        command.Options.Add(example);
        command.SetAction(parse =>
        {
            var outDir = parse.GetValue(dir)!;
            Directory.CreateDirectory(outDir);
            var help = HelpModel.From(root());
            var (version, date) = (Version(), BuildDate());
            File.WriteAllText(Path.Combine(outDir, "pgborg.1"), ManPageWriter.Render(help, Invocation.ToolNames, version, date));
            foreach (var tool in help.Subcommands.Where(c => Invocation.ToolNames.Contains(c.Name)))
            {
                File.WriteAllText(Path.Combine(outDir, tool.Name + ".1"), ManPageWriter.Render(tool, Invocation.ToolNames, version, date));
            }
            File.WriteAllText(Path.Combine(outDir, "pgborg.toml.5"), ConfigManPageWriter.Render(File.ReadAllText(parse.GetValue(example)!), version, date));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Completion(Func<Command> root)
    {
        var command = new Command("__completion", "Print the bash completion script") { Hidden = true };
        command.SetAction(_ =>
        {
            Console.Out.Write(BashCompletionWriter.Render(HelpModel.From(root()), Invocation.ToolNames));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The version without the commit suffix the SDK appends (0.1.0+68e781e → 0.1.0).</summary>
    private static string Version()
    {
        var v = typeof(DocumentationCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        return v.Split('+')[0];
    }

    /// <summary>SOURCE_DATE_EPOCH when set (reproducible builds: the same source gives the same pages), else today.</summary>
    private static DateOnly BuildDate() =>
        long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            ? DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(epoch).UtcDateTime)
            : DateOnly.FromDateTime(DateTime.UtcNow);
}
