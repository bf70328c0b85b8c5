using System.CommandLine;
using PgBorg.Archiving;
using PgBorg.Metrics;
using PgBorg.State;
using PgBorg.PostgreSql;
using PgBorg.Processes;
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
        var command = new Command("status", "Per instance: the daemons' last results, newest base, WAL and dumps, spool backlog, PostgreSQL's archiver; exit 1 when something fails or is late. Never waits on a repository");
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var now = DateTimeOffset.UtcNow;
            var pgcad = StateFile.TryRead(ctx.Config.StateDirectory, StateFile.ArchiveDaemon);
            var pgdumpd = StateFile.TryRead(ctx.Config.StateDirectory, StateFile.DumpDaemon);
            var statuses = new List<InstanceStatus>();
            foreach (var instance in InstanceCatalog.SelectAll(ctx.Instances, parse.GetValue(CommandTree.Instance)))
            {
                statuses.Add(await InstanceStatus.ReadAsync(ctx.Config, instance, pgcad, pgdumpd, now, ct));
            }
            var report = new StatusReport(statuses.All(s => s.Healthy), now, statuses);
            if (parse.GetValue(CommandTree.Json))
            {
                Console.WriteLine(report.ToJson());
            }
            else
            {
                foreach (var s in statuses)
                {
                    s.Print(Console.Out, now);
                }
            }
            return report.Healthy ? ExitCodes.Success : ExitCodes.Failed;
        }));
        return command;
    }

    public static Command MetricsCommand()
    {
        var command = new Command("metrics", "Print the Prometheus metrics the daemons write into [metrics] textfile_directory, from their state files");
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, ctx =>
        {
            var report = new MetricsReport(ctx.Config, DateTimeOffset.UtcNow);
            var names = InstanceCatalog.SelectAll(ctx.Instances, parse.GetValue(CommandTree.Instance)).ToList();
            if (StateFile.TryRead(ctx.Config.StateDirectory, StateFile.ArchiveDaemon) is { } pgcad)
            {
                report.AddDaemon(pgcad, StateLock.IsHeld(ctx.Config.StateDirectory, StateFile.ArchiveDaemon)).AddArchive(pgcad, names);
            }
            if (StateFile.TryRead(ctx.Config.StateDirectory, StateFile.DumpDaemon) is { } pgdumpd)
            {
                report.AddDaemon(pgdumpd, StateLock.IsHeld(ctx.Config.StateDirectory, StateFile.DumpDaemon)).AddDumps(pgdumpd, names.Select(i => i.Name));
            }
            Console.Write(report.Render());
            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }
}
