using PgBorg.Configuration;
using PgBorg.Manual;

namespace PgBorg.Tests;

/// <summary>packaging/pgborg.toml is the installed conffile and the source of pgborg.toml(5): it must load and name every key.</summary>
public sealed class PackagingExampleTests
{
    private static string Example()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PgBorg.slnx")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("no PgBorg.slnx above the test directory"), "packaging", "pgborg.toml");
    }

    [Fact]
    public void The_example_configuration_names_every_key_pgborg_accepts_with_a_comment()
    {
        var lines = File.ReadAllLines(Example());
        var keys = ConfigSchema.Top.Keys.Concat(ConfigSchema.Discovery.Keys).Concat(ConfigSchema.Instance.Keys)
            .Concat(ConfigSchema.Archive.Keys).Concat(ConfigSchema.Dump.Keys).Concat(ConfigSchema.Metrics.Keys).Concat(ConfigSchema.Alerts.Keys)
            .Append("environment").Distinct();
        foreach (var key in keys)
        {
            var at = Array.FindIndex(lines, l => l.TrimStart('#', ' ').StartsWith(key + " =", StringComparison.Ordinal));
            Assert.True(at > 0, $"{key} is not in packaging/pgborg.toml");
            Assert.True(lines[at - 1].StartsWith("# ", StringComparison.Ordinal) || lines[at].Contains("  # ", StringComparison.Ordinal), $"{key} has no comment");
        }
    }

    [Fact]
    public void The_example_configuration_loads()
    {
        var copy = Path.Combine(Directory.CreateTempSubdirectory("pgborg-example-").FullName, "pgborg.toml");
        File.Copy(Example(), copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var config = PgBorgConfig.Load(copy);
        Assert.Equal("/var/backups/pgborg/dump", config.DumpFor("x").Repository.Location);
        Directory.Delete(Path.GetDirectoryName(copy)!, true);
    }

    [Fact]
    public void The_configuration_manual_page_has_an_entry_for_every_key_of_the_example()
    {
        var page = ConfigManPageWriter.Render(File.ReadAllText(Example()), "1.2.3", new DateOnly(2026, 12, 6));
        Assert.StartsWith(".TH PGBORG.TOML 5 \"2026\\-12\\-06\" \"pgborg 1.2.3\"", page, StringComparison.Ordinal);
        foreach (var key in new[] { "state_directory", "debian_root", "data_directory", "ingest_interval", "keep_yearly", "chunker_params" })
        {
            Assert.Contains($".TP\n\\fB{key.Replace("-", "\\-", StringComparison.Ordinal)}\\fR = ", page, StringComparison.Ordinal);
        }
        Assert.Contains(".SS \"instances.main.dump\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Roff_text_escapes_minus_and_backslash_and_protects_a_leading_dot()
    {
        var help = new CommandHelp([], ".hidden -x \\ y", [], [new OptionHelp(["--target-dir"], "DIR", [], "Into DIR", Common: false)], []);
        var page = ManPageWriter.Render(help, ["pgcad"], "1", new DateOnly(2026, 1, 1));
        Assert.Contains("pgborg \\- \\&.hidden \\-x \\e y.", page, StringComparison.Ordinal);
        Assert.Contains("\n\\&.hidden \\-x \\e y.\n", page, StringComparison.Ordinal);
        Assert.Contains("\\fB\\-\\-target\\-dir\\fR \\fIDIR\\fR", page, StringComparison.Ordinal);
    }
}
