using System.CommandLine;
using PgBorg.PostgreSql;
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
        var list = new Command("list", "Restore points with time, LSN and timeline");
        list.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var instance = InstanceCatalog.Select(ctx.Instances, parse.GetValue(CommandTree.Instance));
            var repo = ctx.ArchiveRepository(instance);
            var points = await RestorePointBook.ListAsync(repo, ctx.Host, instance.Name, ct);
            if (parse.GetValue(CommandTree.Json))
            {
                Console.WriteLine(RestorePointJson.Serialize(points.ToList()));
                return 0;
            }
            foreach (var p in points)
            {
                Console.WriteLine($"{p.Name}\t{p.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC\tLSN {p.Lsn}\ttimeline {p.Timeline}");
            }
            return 0;
        }));
        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        return command;
    }
}
