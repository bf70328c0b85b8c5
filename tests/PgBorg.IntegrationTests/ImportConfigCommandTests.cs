using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary><c>pgborg import-config</c> as an administrator runs it: the published binary, the earlier tool's sample files.</summary>
public sealed class ImportConfigCommandTests : IDisposable
{
    private static readonly string Samples = Path.Combine(SourceTree.Root, "tests", "PgBorg.Tests", "Legacy");
    private readonly TempDir _dir = new("pgborg-import");

    public void Dispose() => _dir.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task Prints_a_configuration_that_pgborg_accepts_from_the_sample_ini_files()
    {
        var r = await Run.ProgramAsync(PgBorgBinary.Path, ["import-config", "--pgca", Path.Combine(Samples, "pgca.ini"), "--pgdump", Path.Combine(Samples, "pgdump.ini")]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("repository = \"ssh://backup@backup.example.org/srv/borg/db1-main-pgca\"  # pgca.ini:10 [env-main]", r.Stdout);

        // the instances of the samples are not on this machine: give them data directories, as the output asks
        var config = r.Stdout
            .Replace("[instances.main]\n", $"[instances.main]\ndata_directory = \"{_dir.Sub("main")}\"\nuser = \"postgres\"\nbin_directory = \"/usr/lib/postgresql/15/bin\"\n")
            .Replace("[instances.reports]\n", $"[instances.reports]\ndata_directory = \"{_dir.Sub("reports")}\"\nuser = \"postgres\"\nbin_directory = \"/usr/lib/postgresql/14/bin\"\n");
        var path = _dir.Sub("pgborg.toml");
        File.WriteAllText(path, config);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // the configuration loads and names the right repository; listing it fails only because it is not reachable
        var list = await Run.ProgramAsync(PgBorgBinary.Path, ["pgdumprestore", "--instance", "reports", "list"], new Dictionary<string, string> { ["PGBORG_CONFIG"] = path });
        Assert.DoesNotContain(path + ":", list.Stderr);
        Assert.Contains("/var/backups/borg/pgdump-reports", list.Stderr);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_broken_ini_file_exits_2_naming_file_and_line_and_prints_nothing()
    {
        var broken = _dir.Sub("pgca.ini");
        File.WriteAllLines(broken, File.ReadAllLines(Path.Combine(Samples, "pgca.ini")).Select(l => l == "[env-main]" ? "[env-main" : l));
        var r = await Run.ProgramAsync(PgBorgBinary.Path, ["import-config", "--pgca", broken]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal($"pgborg: {broken}:9: a section header must be [NAME] on a line of its own, not '[env-main'\n", r.Stderr);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_named_file_that_does_not_exist_exits_2()
    {
        var r = await Run.ProgramAsync(PgBorgBinary.Path, ["import-config", "--pgdump", _dir.Sub("missing.ini")], new Dictionary<string, string> { ["PGCA_INI"] = _dir.Sub("also-missing.ini") });
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"pgborg: {_dir.Sub("also-missing.ini")}: cannot read the file", r.Stderr);
    }
}
