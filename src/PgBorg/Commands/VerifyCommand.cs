using System.CommandLine;
using PgBorg.PostgreSql;
using PgBorg.Verify;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgborg verify [--data] [--json]</c> and <c>pgborg verify --restore [--cycle STAMP] [--scratch-dir DIR]</c>.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var data = new Option<bool>("--data")
        {
            Description = "Also read every archive of every kept cycle back from Borg (borg extract --dry-run: decrypted and checked, nothing written)",
        };
        var restore = new Option<bool>("--restore")
        {
            Description = "Instead: restore a cycle into a scratch directory, replay all its WAL on a private copy (no TCP, archiving off), "
                + "run pg_amcheck on every database, remove everything",
        };
        var cycle = new Option<string?>("--cycle")
        {
            Description = "With --restore: this cycle (its stamp, e.g. 20261206T080000Z) instead of the newest complete one",
        };
        var scratch = new Option<string?>("--scratch-dir")
        {
            Description = "With --restore: where the scratch directory is made (default /var/tmp; needs room for the base)",
        };
        var command = new Command("verify",
            "Check from metadata that every kept cycle restores: base and tablespaces present, WAL continuous per timeline, history files, sizes and checksums of "
            + "copies; exit 0 only when all holds, 1 with one line per problem");
        command.Options.Add(data);
        command.Options.Add(restore);
        command.Options.Add(cycle);
        command.Options.Add(scratch);
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var asRestore = parse.GetValue(restore);
            if (!asRestore && (parse.GetValue(cycle) ?? parse.GetValue(scratch)) is not null)
            {
                throw new FormatException("--cycle and --scratch-dir go with --restore");
            }
            if (asRestore && parse.GetValue(data))
            {
                throw new FormatException("--data and --restore are separate runs: give one of them");
            }
            var reports = new List<VerifyReport>();
            foreach (var instance in InstanceCatalog.SelectAll(ctx.Instances, parse.GetValue(CommandTree.Instance)))
            {
                var verifier = new InstanceVerifier(ctx.ArchiveRepositories(instance), instance, ctx.Host, CommandContext.Binary, ctx.Log);
                reports.Add(asRestore
                    ? await verifier.RestoreAsync(parse.GetValue(cycle), parse.GetValue(scratch) ?? "/var/tmp", ct)
                    : await verifier.CheckAsync(parse.GetValue(data), ct));
            }
            var summary = new VerifySummary(reports.All(r => r.Ok), reports);
            if (parse.GetValue(CommandTree.Json))
            {
                Console.WriteLine(summary.ToJson());
            }
            else
            {
                reports.ForEach(r => r.Print(Console.Out));
            }
            return summary.Ok ? ExitCodes.Success : ExitCodes.Failed;
        }));
        return command;
    }
}
