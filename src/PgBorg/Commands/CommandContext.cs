using System.CommandLine;
using Microsoft.Extensions.Logging;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.PostgreSql;

namespace PgBorg.Cli.Commands;

/// <summary>What every command needs: the validated configuration, the instances, the host name and a logger.</summary>
internal sealed class CommandContext : IDisposable
{
    private readonly ILoggerFactory _loggers;

    private CommandContext(PgBorgConfig config, IReadOnlyList<PgInstance> instances, string host, ILoggerFactory loggers)
    {
        Config = config;
        Instances = instances;
        Host = host;
        _loggers = loggers;
        Log = loggers.CreateLogger("pgborg");
    }

    public PgBorgConfig Config { get; }
    public IReadOnlyList<PgInstance> Instances { get; }
    public string Host { get; }
    public ILogger Log { get; }

    /// <summary>This program's path, for what PostgreSQL or a helper runs later (restore_command, the WAL extractor).</summary>
    public static string Binary => Environment.ProcessPath ?? "/usr/bin/pgborg";

    /// <summary>The archiving repository of <paramref name="instance"/> (bases and restore points).</summary>
    public BorgRepository ArchiveRepository(PgInstance instance) => ArchiveRepositories(instance).Archive;

    /// <summary>Both archiving repositories of <paramref name="instance"/>: bases and WAL.</summary>
    public PgBorg.Archiving.ArchiveRepositories ArchiveRepositories(PgInstance instance) =>
        PgBorg.Archiving.ArchiveRepositories.Open(Config.ArchiveFor(instance.Name), Config.StateDirectory, Log);

    public static CommandContext Load(ParseResult parse)
    {
        var config = PgBorgConfig.Load(PgBorgConfig.ResolvePath(parse.GetValue(CommandTree.Config)));
        var loggers = Logging.Create(config.LogLevel);
        var log = loggers.CreateLogger("pgborg");
        var instances = InstanceCatalog.Load(config, w => PgBorg.Log.DiscoveryWarning(log, w));
        var host = parse.GetValue(CommandTree.Host) ?? config.HostName ?? Environment.MachineName;
        return new CommandContext(config, instances, host, loggers);
    }

    /// <summary>Runs a command body, turning every expected failure into one line on stderr and its exit code.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<CommandContext, Task<int>> body)
    {
        CommandContext? context = null;
        try
        {
            context = Load(parse);
            return await body(context);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("pgborg: interrupted");
            return 130;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"pgborg: {e.Message}");
            return ExitCodes.For(e);
        }
        finally
        {
            context?.Dispose();
        }
    }

    public void Dispose() => _loggers.Dispose();
}
