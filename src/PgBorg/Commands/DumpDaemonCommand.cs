using System.CommandLine;
using PgBorg.Dumps;
using PgBorg.PostgreSql;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgdumpd [--once]</c>.</summary>
internal static class DumpDaemonCommand
{
    public static Command Create()
    {
        var once = new Option<bool>("--once") { Description = "Run one round (dump every database and the globals of every instance, prune), then exit; non-zero if anything failed" };
        var command = new Command("pgdumpd", "Daemon: regular pg_dump of every database of every instance, streamed into Borg");
        command.Options.Add(once);
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var instances = InstanceCatalog.SelectAll(ctx.Instances, parse.GetValue(CommandTree.Instance));
            if (instances.Count == 0)
            {
                throw new SelectionException("no PostgreSQL instance configured or discovered: add an [instances.NAME] table to the configuration", notFound: true);
            }
            foreach (var i in instances)
            {
                _ = ctx.Config.DumpFor(i.Name); // every repository is configured before anything is touched
            }
            return await new DumpDaemon(ctx.Config, instances, ctx.Host, ctx.Log).RunAsync(parse.GetValue(once), ct);
        }));
        return command;
    }
}
