using System.CommandLine;
using PgBorg.PostgreSql;
using PgBorg.Restore;
using PgBorg.RestorePoints;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgbuptool restorepoint [SUFFIX]</c> and <c>pgbuptool list</c>.</summary>
internal static class RestorePointCommand
{
    public static Command Create()
    {
        var command = new Command("pgbuptool", "Named restore points that pgcarestore can restore to");
        var suffix = new Argument<string?>("SUFFIX") { Arity = ArgumentArity.ZeroOrOne, Description = "Appended to the name: restorepoint-YYYYmmddTHHMMSSZ-SUFFIX" };
        var create = new Command("restorepoint", "Create a restore point, switch WAL, record it; prints its name");
        create.Arguments.Add(suffix);
        create.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var instance = InstanceCatalog.Select(ctx.Instances, parse.GetValue(CommandTree.Instance));
            var repo = ctx.ArchiveRepository(instance);
            var point = await RestorePointBook.CreateAsync(instance, repo, ctx.Host, parse.GetValue(suffix), ct);
            Console.WriteLine(point.Name);
            return 0;
        }));
        var list = new Command("list", "Restore points with time, LSN and timeline: pgbuptool's, and those found in the archived WAL (plain SQL pg_create_restore_point)");
        list.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var instance = InstanceCatalog.Select(ctx.Instances, parse.GetValue(CommandTree.Instance));
            var index = await WalIndexView.ReadAsync(ctx.ArchiveRepositories(instance), ctx.Host, instance.Name, ct);
            if (parse.GetValue(CommandTree.Json))
            {
                Console.WriteLine(RestoreInfo.ToJson([.. index.Points]));
                return 0;
            }
            foreach (var p in index.Points)
            {
                Console.WriteLine($"{p.Name}\t{p.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC\tLSN {p.Lsn}\ttimeline {p.Timeline}\t{p.Source}");
            }
            if (index.Unchecked is { } u)
            {
                Console.Error.WriteLine($"note: {u}");
            }
            return 0;
        }));
        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        return command;
    }
}
