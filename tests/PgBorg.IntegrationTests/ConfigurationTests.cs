using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>Configuration and instance errors through the published binary: one line, exit 2 (or 3), nothing touched.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private string Config(string extra = "", string dump = "") => $"""
        state_directory = "{_sandbox.StateDirectory}"
        {extra}
        [discovery]
        debian = false
        systemd = false

        [instances.main]
        data_directory = "/nonexistent/for/this/test"
        bin_directory = "/usr/lib/postgresql/15/bin"
        user = "postgres"

        [dump]
        repository = "{_sandbox.Repository}"
        {dump}
        """;

    private async Task AssertRefusedAsync(string config, int expectedExit, string expectedMessage, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite, params string[] args)
    {
        _sandbox.WriteConfig(config, mode);
        var r = await _sandbox.PgBorgAsync(args.Length > 0 ? args : ["pgdumpd", "--once"]);
        Assert.True(r.ExitCode == expectedExit, r.ToString());
        Assert.Contains(expectedMessage, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(_sandbox.Repository), "the repository must not be touched");
        Assert.False(Directory.Exists(_sandbox.StateDirectory), "the state directory must not be touched");
    }

    [Fact(Timeout = 60_000)]
    public Task Unknown_key_names_file_line_and_key() =>
        AssertRefusedAsync(Config(dump: "keep_hourli = 3"), 2, $"{_sandbox.ConfigPath}:14: dump.keep_hourli: unknown key");

    [Fact(Timeout = 60_000)]
    public Task Wrong_type_names_the_key() =>
        AssertRefusedAsync(Config(dump: "keep_daily = \"seven\""), 2, "dump.keep_daily: must be an integer");

    [Fact(Timeout = 60_000)]
    public Task Bad_duration_names_the_key() =>
        AssertRefusedAsync(Config(dump: "interval = \"1 day\""), 2, "dump.interval: must be a duration");

    [Fact(Timeout = 60_000)]
    public Task Missing_repository_names_the_section() =>
        AssertRefusedAsync(Config().Replace($"repository = \"{_sandbox.Repository}\"", "passcommand = \"cat /x\""), 2, "dump.repository: no Borg repository configured");

    [Fact(Timeout = 60_000)]
    public Task A_passphrase_in_a_world_readable_file_is_refused() =>
        AssertRefusedAsync(Config(dump: "passphrase = \"secret\""), 2, "readable by group or others", (UnixFileMode)0b110_100_100);

    [Fact(Timeout = 60_000)]
    public Task A_syntax_error_names_the_line() =>
        AssertRefusedAsync(Config(dump: "keep_daily = = 3"), 2, $"{_sandbox.ConfigPath}:14:");

    [Fact(Timeout = 60_000)]
    public Task A_missing_configuration_file_is_a_usage_error() =>
        AssertRefusedAsync(Config(), 2, "cannot read the configuration file", args: ["--config", "/nonexistent/pgborg.toml", "pgdumpd", "--once"]);

    [Fact(Timeout = 60_000)]
    public Task Several_instances_without_instance_option_list_the_candidates() =>
        AssertRefusedAsync(Config() + """

            [instances.other]
            data_directory = "/nonexistent/other"
            bin_directory = "/usr/lib/postgresql/15/bin"
            user = "postgres"
            """, 2, "several instances, choose one with --instance: instances: main (/nonexistent/for/this/test, port 5432), other", args: ["pgdumprestore", "list"]);

    [Fact(Timeout = 60_000)]
    public Task An_unknown_instance_exits_3() =>
        AssertRefusedAsync(Config(), 3, "no instance named 'nope'", args: ["pgdumprestore", "--instance", "nope", "list"]);

    [Fact(Timeout = 60_000)]
    public Task A_data_directory_that_is_not_one_is_a_configuration_error() =>
        AssertRefusedAsync(Config().Replace("bin_directory = \"/usr/lib/postgresql/15/bin\"\n", "").Replace("/nonexistent/for/this/test", "/usr/share"),
            2, "instances.main.data_directory: cannot read /usr/share/PG_VERSION");

    [Fact(Timeout = 60_000)]
    public async Task Version_and_help_work()
    {
        var v = await _sandbox.PgBorgAsync("--version");
        Assert.Equal(0, v.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", v.Stdout);
        var h = await _sandbox.PgBorgAsync("pgdumprestore", "extract", "--help");
        Assert.Equal(0, h.ExitCode);
        Assert.Contains("--time", h.Stdout);
    }
}
