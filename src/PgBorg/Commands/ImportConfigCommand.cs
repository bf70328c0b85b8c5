using System.CommandLine;
using PgBorg.LegacyConfig;
using PgBorg.PostgreSql;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgborg import-config [--pgca FILE] [--pgdump FILE]</c>: prints a pgborg.toml made from the earlier tool's ini files.</summary>
internal static class ImportConfigCommand
{
    public static Command Create()
    {
        var pgca = new Option<string?>("--pgca") { Description = $"The earlier tool's archiving configuration (default: $PGCA_INI, else {LegacyConfigFiles.PgcaDefault} if it exists)" };
        var pgdump = new Option<string?>("--pgdump") { Description = $"The earlier tool's dump configuration (default: $PGDUMP_INI, else {LegacyConfigFiles.PgdumpDefault} if it exists)" };
        var command = new Command("import-config", "Print a pgborg.toml equivalent to the earlier tool's pgca.ini and pgdump.ini; what cannot be carried over becomes a comment");
        command.Options.Add(pgca);
        command.Options.Add(pgdump);
        command.SetAction(parse =>
        {
            try
            {
                var ca = LegacyConfigFiles.Open(parse.GetValue(pgca), "PGCA_INI", LegacyConfigFiles.PgcaDefault);
                var dump = LegacyConfigFiles.Open(parse.GetValue(pgdump), "PGDUMP_INI", LegacyConfigFiles.PgdumpDefault);
                if (ca is null && dump is null)
                {
                    Console.Error.WriteLine($"pgborg: neither {LegacyConfigFiles.PgcaDefault} nor {LegacyConfigFiles.PgdumpDefault} exists: name the files with --pgca and --pgdump");
                    return ExitCodes.Usage;
                }
                var known = InstanceCatalog.DiscoverWithDefaults(w => Console.Error.WriteLine($"pgborg: {w}"))
                    .Select(i => new KnownInstance(i.Name, i.DataDirectory, i.MajorVersion))
                    .ToList();
                Console.Out.Write(ConfigImporter.Convert(ca, dump, known));
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is LegacyConfigException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"pgborg: {e.Message}");
                return ExitCodes.For(e);
            }
        });
        return command;
    }
}
