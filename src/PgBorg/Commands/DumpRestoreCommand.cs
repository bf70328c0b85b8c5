using System.CommandLine;
using System.Globalization;
using PgBorg.Borg;
using PgBorg.Cli.Progress;
using PgBorg.Dumps;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using Spectre.Console;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgdumprestore list [DB]</c> and <c>pgdumprestore extract [--time T] (DB | --globals) [-- COMMAND ARGS...]</c>.</summary>
internal static class DumpRestoreCommand
{
    public static Command Create(string[] passthrough)
    {
        var command = new Command("pgdumprestore", "List dumps, or stream one back out to stdout or into a command run as the service user");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Extract(passthrough));
        return command;
    }

    private static Command List()
    {
        var db = new Argument<string?>("DBNAME") { Arity = ArgumentArity.ZeroOrOne, Description = "Only dumps of this database" };
        var command = new Command("list", "Dumps available, newest last");
        command.Arguments.Add(db);
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var instance = InstanceCatalog.Select(ctx.Instances, parse.GetValue(CommandTree.Instance));
            var repo = new BorgRepository(ctx.Config.DumpFor(instance.Name).Repository, ctx.Config.StateDirectory, ctx.Log);
            var entries = await DumpCatalog.ListAsync(repo, ctx.Host, instance.Name, ct);
            var name = parse.GetValue(db);
            if (name is not null)
            {
                entries = entries.Where(e => e.Name.Database == name).ToList();
                if (entries.Count == 0)
                {
                    DumpCatalog.Choose(await DumpCatalog.ListAsync(repo, ctx.Host, instance.Name, ct), instance.Name, name, null);
                }
            }
            if (parse.GetValue(CommandTree.Json))
            {
                Console.WriteLine(DumpJson.Serialize(entries.Select(e => new DumpListItem(e.ArchiveName, e.Name.Instance, e.Name.Kind, e.Name.Database, e.Name.Time, e.Name.PgVersion)).ToList()));
                return 0;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("time (UTC)", "database", "pg", "archive");
            foreach (var e in entries)
            {
                table.AddRow(
                    Markup.Escape(e.Name.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                    Markup.Escape(e.IsGlobals ? "(globals)" : e.Name.Database!),
                    e.Name.PgVersion.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(e.ArchiveName));
            }
            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Profile.Width = 400;
            }
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Extract(string[] passthrough)
    {
        var db = new Argument<string?>("DBNAME") { Arity = ArgumentArity.ZeroOrOne, Description = "The database whose dump to extract" };
        var globals = new Option<bool>("--globals") { Description = "Extract the globals (roles, tablespaces: pg_dumpall --globals-only) instead of a database" };
        var time = new Option<string?>("--time") { Description = "Newest dump at or before this time (ISO 8601, YYYY-MM-DD, YYYYmmddHHMMSS, THH:MM; no offset = local time)" };
        var command = new Command("extract", "Stream the newest dump at or before --time to stdout, or into COMMAND run as the service user: extract DBNAME -- pg_restore -d DBNAME");
        command.Arguments.Add(db);
        command.Options.Add(globals);
        command.Options.Add(time);
        command.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var name = parse.GetValue(db);
            var isGlobals = parse.GetValue(globals);
            if (isGlobals == (name is not null))
            {
                throw new FormatException("give either a database name or --globals");
            }
            var at = parse.GetValue(time) is { } t ? TimeArgument.Parse(t) : (DateTimeOffset?)null;
            var instance = InstanceCatalog.Select(ctx.Instances, parse.GetValue(CommandTree.Instance));
            var repo = new BorgRepository(ctx.Config.DumpFor(instance.Name).Repository, ctx.Config.StateDirectory, ctx.Log);
            var entries = await DumpCatalog.ListAsync(repo, ctx.Host, instance.Name, ct);
            var entry = DumpCatalog.Choose(entries, instance.Name, isGlobals ? null : name, at);
            await Console.Error.WriteLineAsync($"pgdumprestore: extracting {entry.ArchiveName}");
            await using var display = ProgressDisplays.Start(ctx.Log);
            // Borg's total is the dump's size: it adds up what it is going to extract before it starts
            var transfer = display.Track($"extract of {(entry.IsGlobals ? "globals" : entry.Name.Database)}", null);
            if (passthrough.Length == 0)
            {
                // a FileStream on fd 1, not Console's stream, which silently discards writes to a closed pipe
                await using var stdout = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, 1);
                await DumpExtractor.ToStreamAsync(repo, entry, stdout, ct, transfer);
                return 0;
            }
            return await DumpExtractor.ToCommandAsync(repo, entry, instance, passthrough, ct, transfer);
        }));
        return command;
    }
}
