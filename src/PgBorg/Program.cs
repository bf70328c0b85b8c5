using System.Runtime.InteropServices;
using PgBorg;
using PgBorg.Cli;
using PgBorg.PostgreSql;

// One binary, six names: started as pgcad, pgbuptool, pgcarestore, pgdumpd or pgdumprestore (a symlink),
// it behaves as `pgborg <name> ...`.
var argv = Invocation.WithToolName(args);

// before any signal handler: a SIGTERM for the program it becomes must not be taken as ours
if (argv is [PgBorg.Processes.MountIsolation.Command, ..])
{
    return PgBorg.Processes.MountIsolation.Run(argv, Console.Error);
}

using var cts = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);

// hot and internal paths first: archive_command runs once per WAL segment and must start fast
if (argv is ["wal-push", var walPath] && !walPath.StartsWith('-'))
{
    return PgBorg.Archiving.WalPush.Run(walPath, Console.Error);
}
if (argv is ["wal-fetch", var walName, var walDest] && !walName.StartsWith('-'))
{
    return await PgBorg.Restore.WalFetch.RunAsync(walName, walDest, Console.Error, cts.Token);
}
if (argv is ["wal-fetch", "--end"])
{
    return PgBorg.Restore.WalFetch.End(Console.Error);
}
if (argv is [PgBorg.Restore.WalExtractor.Command, var extractArea])
{
    return await PgBorg.Restore.WalExtractorProcess.RunAsync(extractArea, Console.In, Console.Out, Console.Error, cts.Token);
}
if (argv is [PgBorg.Restore.WalAreaAgent.Command, var agentArea])
{
    return await PgBorg.Restore.WalAreaAgent.RunAsync(agentArea, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error, cts.Token);
}
if (argv.Length > 0 && argv[0] == ServerInventoryReader.HelperCommand)
{
    return await ServerInventoryReader.RunHelperAsync(argv[1..], Console.Out, Console.Error, cts.Token);
}
if (argv.Length > 0 && argv[0] == SessionHelper.Command)
{
    return await SessionHelper.RunAsync(argv[1..], Console.In, Console.Out, Console.Error, cts.Token);
}

// before the logger takes Console.Error: lines written while a progress bar is drawn go above it
PgBorg.Cli.Progress.LiveConsoleWriter.Install();
var (options, passthrough) = Invocation.SplitPassthrough(argv);
var root = CommandTree.Build(passthrough);
var parsed = root.Parse(options);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"pgborg: {error.Message}");
    }
    await Console.Error.WriteLineAsync("Try --help.");
    // as restore_command, any exit below 126 means "not archived" to PostgreSQL, which would end recovery early
    return options.Contains("wal-fetch") ? PgBorg.Restore.WalFetch.Fatal : ExitCodes.Usage;
}
return await parsed.InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null }, cts.Token);

void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    cts.Cancel();
}
