using System.CommandLine;
using PgBorg.Archiving;
using PgBorg.PostgreSql;
using PgBorg.Status;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgborg check</c> and <c>pgborg status</c>.</summary>
internal static class CheckStatusCommands
{
    public static Command Check()
    {
        var command = new Command("check", "Check configuration, PostgreSQL settings, repository access, and force a WAL switch that must reach Borg");
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var check = new ArchiveCheck(ctx.Config, ctx.Host, CommandContext.Binary, ctx.Log, Console.Out);
            var code = 0;
            foreach (var instance in InstanceCatalog.SelectAll(ctx.Instances, parse.GetValue(CommandTree.Instance)))
            {
                var outcome = await check.RunAsync(instance, ct);
                code = Math.Max(code, outcome.SettingsWrong ? ExitCodes.Usage : outcome.Failed ? ExitCodes.Failed : 0);
            }
            return code;
        }));
        return command;
    }

    public static Command StatusCommand()
    {
        var command = new Command("status", "Per instance: cycles, newest base, newest archived WAL and its age, spool backlog, newest dump per database");
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var json = parse.GetValue(CommandTree.Json);
            var statuses = new List<InstanceStatus>();
            foreach (var instance in InstanceCatalog.SelectAll(ctx.Instances, parse.GetValue(CommandTree.Instance)))
            {
                statuses.Add(await InstanceStatus.ReadAsync(ctx.Config, instance, ctx.Host, ctx.Log, ct));
            }
            if (json)
            {
                Console.WriteLine("[" + string.Join(",", statuses.Select(s => s.ToJson())) + "]");
            }
            else
            {
                foreach (var s in statuses)
                {
                    s.Print(Console.Out, DateTimeOffset.UtcNow);
                }
            }
            return statuses.Any(s => s.Errors.Count > 0) ? ExitCodes.Failed : 0;
        }));
        return command;
    }
}
