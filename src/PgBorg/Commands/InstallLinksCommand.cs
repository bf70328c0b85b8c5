using System.CommandLine;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgborg install-links DIR</c>: the five tool names as symlinks to this binary.</summary>
internal static class InstallLinksCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory for the symlinks, e.g. /usr/local/bin" };
        var command = new Command("install-links", "Create the symlinks pgcad, pgbuptool, pgcarestore, pgdumpd, pgdumprestore in DIR");
        command.Arguments.Add(dir);
        command.SetAction(parse =>
        {
            var target = Environment.ProcessPath;
            var directory = parse.GetValue(dir)!;
            if (target is null)
            {
                Console.Error.WriteLine("pgborg: cannot tell the path of this program");
                return ExitCodes.Failed;
            }
            if (!Directory.Exists(directory))
            {
                Console.Error.WriteLine($"pgborg: {directory} is not a directory");
                return ExitCodes.Usage;
            }
            foreach (var name in Invocation.ToolNames)
            {
                var link = Path.Combine(directory, name);
                var info = new FileInfo(link);
                if (info.Exists || info.LinkTarget is not null)
                {
                    if (info.LinkTarget is null)
                    {
                        Console.Error.WriteLine($"pgborg: {link} exists and is not a symlink; not replaced");
                        return ExitCodes.Unsafe;
                    }
                    File.Delete(link);
                }
                File.CreateSymbolicLink(link, target);
                Console.WriteLine($"{link} -> {target}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
