using System.CommandLine;
using PgBorg.Archiving;
using PgBorg.Cli.Progress;
using PgBorg.PostgreSql;
using PgBorg.Progress;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgcad [--once] [--new-cycle]</c>.</summary>
internal static class ArchiveDaemonCommand
{
    public static Command Create()
    {
        var once = new Option<bool>("--once") { Description = "One round: start a cycle if needed, ingest every spool, expire; then exit (non-zero if anything failed)" };
        var newCycle = new Option<bool>("--new-cycle") { Description = "Start a new cycle (a new base backup) in this round" };
        var command = new Command("pgcad", "Daemon: continuous archiving (WAL and base backups) of every instance into Borg");
        command.Options.Add(once);
        command.Options.Add(newCycle);
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var instances = InstanceCatalog.SelectAll(ctx.Instances, parse.GetValue(CommandTree.Instance));
            if (instances.Count == 0)
            {
                throw new SelectionException("no PostgreSQL instance configured or discovered: add an [instances.NAME] table to the configuration", notFound: true);
            }
            foreach (var i in instances)
            {
                _ = ctx.Config.ArchiveFor(i.Name); // every repository is configured before anything is touched
            }
            var binary = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell the path of this program");
            var (isOnce, isNewCycle) = (parse.GetValue(once), parse.GetValue(newCycle));
            if (!isOnce || !isNewCycle)
            {
                return await new ArchiveDaemon(ctx.Config, instances, ctx.Host, binary, ctx.Log).RunAsync(isOnce, isNewCycle, ct);
            }
            // an operator waits for these bases: show them, against what each data directory holds now
            await using var display = ProgressDisplays.Start(ctx.Log);
            var transfers = instances.ToDictionary(i => i.Name, i => display.Track($"base backup of {i.Name}", MeasureBase(i, ctx)));
            return await new ArchiveDaemon(ctx.Config, instances, ctx.Host, binary, ctx.Log) { TransferFor = i => transfers[i.Name] }.RunAsync(isOnce, isNewCycle, ct);
        }));
        return command;
    }

    /// <summary>What the base will read, or null (bytes and rate, no total) when the directory cannot be walked.</summary>
    private static long? MeasureBase(PgInstance instance, CommandContext ctx)
    {
        try
        {
            return BaseBackupSize.Measure(instance.DataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            PgBorg.Log.SizeUnknown(ctx.Log, instance.Name, e.Message);
            return null;
        }
    }
}
