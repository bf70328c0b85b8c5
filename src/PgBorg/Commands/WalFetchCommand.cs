using System.CommandLine;
using PgBorg.Restore;

namespace PgBorg.Cli.Commands;

/// <summary>
/// <c>pgborg wal-fetch NAME DEST</c> for help, the manual and odd argument lists; the normal call (restore_command,
/// once per segment during recovery) is served by Program.cs before the command line is even built.
/// </summary>
internal static class WalFetchCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "%f: the WAL or history file PostgreSQL asks for" };
        var dest = new Argument<string>("DEST") { Description = "%p: where to write it" };
        var command = new Command("wal-fetch", "restore_command written by pgcarestore: 0 = DEST written, 1 = not in the archive, 255 = any real error (recovery stops instead of ending early)");
        command.Arguments.Add(name);
        command.Arguments.Add(dest);
        command.SetAction((parse, ct) => WalFetch.RunAsync(parse.GetValue(name)!, parse.GetValue(dest)!, Console.Error, ct));
        return command;
    }
}
