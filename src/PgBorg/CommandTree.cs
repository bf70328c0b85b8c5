using System.CommandLine;
using System.CommandLine.Help;
using PgBorg.Cli.Commands;

namespace PgBorg.Cli;

/// <summary>The command line: global options and one thin command class per command.</summary>
internal static class CommandTree
{
    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Configuration file (default: $PGBORG_CONFIG, else /etc/pgborg/pgborg.toml)",
        Recursive = true,
    };

    public static readonly Option<string?> Instance = new("--instance")
    {
        Description = "Work on this instance only (needed when several are configured)",
        Recursive = true,
    };

    public static readonly Option<string?> Host = new("--host")
    {
        Description = "Read backups made on this host (default: this host's name)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print data as JSON",
        Recursive = true,
    };

    /// <summary>
    /// The root is a plain command named pgborg (a RootCommand takes the executable's name, which would collide
    /// with the subcommand of the same name when started as pgdumprestore), with help and version added by hand.
    /// </summary>
    public static Command Build(string[] passthrough)
    {
        var root = new Command("pgborg", "pgborg: continuous archiving and regular dumps of PostgreSQL into Borg repositories");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(Config);
        root.Options.Add(Instance);
        root.Options.Add(Host);
        root.Options.Add(Json);
        root.Subcommands.Add(DumpDaemonCommand.Create());
        root.Subcommands.Add(DumpRestoreCommand.Create(passthrough));
        root.Subcommands.Add(InstallLinksCommand.Create());
        root.Subcommands.Add(ImportConfigCommand.Create());
        root.Subcommands.Add(ArchiveDaemonCommand.Create());
        root.Subcommands.Add(WalPushCommand.Create());
        root.Subcommands.Add(WalFetchCommand.Create());
        root.Subcommands.Add(RestoreCommand.Create());
        root.Subcommands.Add(RestorePointCommand.Create());
        root.Subcommands.Add(CheckStatusCommands.Check());
        root.Subcommands.Add(CheckStatusCommands.StatusCommand());
        root.Subcommands.Add(CheckStatusCommands.MetricsCommand());
        root.Subcommands.Add(VerifyCommand.Create());
        // the documentation is generated from a fresh tree, so it never shows the hidden commands themselves
        root.Subcommands.Add(DocumentationCommands.Man(() => Build([])));
        root.Subcommands.Add(DocumentationCommands.Completion(() => Build([])));
        return root;
    }
}
