using System.CommandLine;
using PgBorg.Restore;

namespace PgBorg.Cli.Commands;

/// <summary>
/// <c>pgborg [--config C] [--instance I] [--host H] wal-fetch NAME DEST</c>: restore_command. The plain call (no
/// options) is served by Program.cs before the command line is built; this one carries the options of a
/// hand-written restore_command that has no restore context (a standby set up by hand).
/// </summary>
internal static class WalFetchCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "%f: the WAL or history file PostgreSQL wants" };
        var destination = new Argument<string>("DEST") { Description = "%p: where to put it, relative to the data directory" };
        var command = new Command("wal-fetch",
            "restore_command = '/usr/bin/pgborg wal-fetch %f %p': 0 with the file, 1 when it is not archived (yet), 255 for any real error");
        command.Arguments.Add(name);
        command.Arguments.Add(destination);
        command.SetAction((parse, ct) => WalFetch.RunAsync(parse.GetValue(name)!, parse.GetValue(destination)!, Console.Error, ct,
            parse.GetValue(CommandTree.Config), parse.GetValue(CommandTree.Instance), parse.GetValue(CommandTree.Host)));
        return command;
    }
}
