using System.CommandLine;
using PgBorg.Archiving;

namespace PgBorg.Cli.Commands;

/// <summary>
/// <c>pgborg wal-push PATH</c> for help and odd argument lists; the normal call (exactly one path) is served
/// by Program.cs before the command line is even built, because PostgreSQL runs it once per segment.
/// </summary>
internal static class WalPushCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "%p: the WAL file, relative to the data directory" };
        var command = new Command("wal-push", "archive_command = '/usr/bin/pgborg wal-push %p': store a WAL file durably in every active spool; 0 only when stored");
        command.Arguments.Add(path);
        command.SetAction(parse => WalPush.Run(parse.GetValue(path)!, Console.Error));
        return command;
    }
}
