using PgBorg.Configuration;

namespace PgBorg.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-unit-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string toml, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, "pgborg.toml");
        File.WriteAllText(path, toml);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private ConfigException Refused(string toml, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite) =>
        Assert.Throws<ConfigException>(() => PgBorgConfig.Load(Write(toml, mode)));

    [Fact]
    public void The_interface_example_loads_with_every_key()
    {
        var config = PgBorgConfig.Load(Write("""
            state_directory = "/var/lib/pgborg"
            [discovery]
            debian = true
            systemd = false
            [instances.main]
            data_directory = "/var/lib/postgresql/15/main"
            port = 5433
            socket_directory = "/var/run/postgresql"
            user = "postgres"
            bin_directory = "/usr/lib/postgresql/15/bin"
            [archive]
            repository = "/var/backups/pgborg/archive"
            passcommand = "cat /etc/pgborg/archive.passphrase"
            environment = { BORG_RSH = "ssh -i /etc/pgborg/id_ed25519" }
            snapshot = "auto"
            ingest_interval = "10s"
            cycle_max_age = "7d"
            keep_cycles = 3
            keep_within = "90d"
            [dump]
            repository = "/var/backups/pgborg/dump"
            passcommand = "cat /etc/pgborg/dump.passphrase"
            interval = "1d"
            keep_within = "1d"
            keep_hourly = 24
            keep_daily = 7
            keep_weekly = 52
            keep_monthly = 12
            keep_yearly = 30
            [instances.main.archive]
            repository = "/var/backups/pgborg/main-archive"
            [instances.main.dump.environment]
            BORG_REMOTE_PATH = "borg1"
            """));
        Assert.False(config.Discovery.Systemd);
        var main = Assert.Single(config.Instances);
        Assert.Equal(("main", 5433, "postgres"), (main.Name, main.Port!.Value, main.User!));
        Assert.Equal("/var/backups/pgborg/main-archive", config.ArchiveFor("main").Repository.Location);
        Assert.Equal("/var/backups/pgborg/archive", config.ArchiveFor("other").Repository.Location);
        Assert.Equal("ssh -i /etc/pgborg/id_ed25519", config.ArchiveFor("main").Repository.Environment["BORG_RSH"]);
        var dump = config.DumpFor("main");
        Assert.Equal(TimeSpan.FromDays(1), dump.Interval);
        Assert.Equal((24, 7, 52, 12, 30), (dump.KeepHourly, dump.KeepDaily, dump.KeepWeekly, dump.KeepMonthly, dump.KeepYearly));
        Assert.Equal("borg1", dump.Repository.Environment["BORG_REMOTE_PATH"]);
        Assert.Equal("cat /etc/pgborg/dump.passphrase", dump.Repository.PassCommand);
    }

    [Fact]
    public void Defaults_match_the_earlier_tool()
    {
        var config = PgBorgConfig.Load(Write("[dump]\nrepository = \"/r\"\n"));
        var dump = config.DumpFor("x");
        Assert.Equal("/var/lib/pgborg", config.StateDirectory);
        Assert.True(config.Discovery.Debian && config.Discovery.Systemd);
        Assert.Equal((TimeSpan.FromDays(1), 24, 7, 52, 12, 30), (dump.KeepWithin, dump.KeepHourly, dump.KeepDaily, dump.KeepWeekly, dump.KeepMonthly, dump.KeepYearly));
        Assert.Equal("lz4", dump.Repository.Compression);
    }

    [Theory]
    [InlineData("bogus = 1", 1, "bogus", "unknown key")]
    [InlineData("[dump]\nrepository = \"/r\"\nkeep_dayly = 3", 3, "dump.keep_dayly", "unknown key")]
    [InlineData("[dump]\nkeep_daily = \"7\"", 2, "dump.keep_daily", "must be an integer")]
    [InlineData("[dump]\nkeep_daily = -1", 2, "dump.keep_daily", "must be an integer")]
    [InlineData("[dump]\ninterval = \"1 day\"", 2, "dump.interval", "must be a duration")]
    [InlineData("[dump]\ninterval = \"0s\"", 2, "dump.interval", "must be a duration")]
    [InlineData("[dump]\ninterval = 3600", 2, "dump.interval", "must be a duration")]
    [InlineData("[archive]\nsnapshot = \"zfs\"", 2, "archive.snapshot", "must be one of")]
    [InlineData("[dump]\ncompression = \"gzip\"", 2, "dump.compression", "compression")]
    [InlineData("[instances.a]\nport = 70000", 2, "instances.a.port", "TCP port")]
    [InlineData("[instances.a]\nport = \"5432\"", 2, "instances.a.port", "must be an integer")]
    [InlineData("[instances.a]\ndatadir = \"/x\"", 2, "instances.a.datadir", "unknown key")]
    [InlineData("[discovery]\ndebian = \"yes\"", 2, "discovery.debian", "true or false")]
    [InlineData("[dump]\nenvironment = { BORG_PASSPHRASE = \"x\" }", 2, "dump.environment.BORG_PASSPHRASE", "set by pgborg")]
    [InlineData("[dump]\nrepository = \"\"", 2, "dump.repository", "must not be empty")]
    [InlineData("[dump]\nrepository = \"/a\"\nrepository = \"/b\"", 3, "syntax", "The key `dump.repository` is already defined")]
    [InlineData("[dump]\n[dump]", 2, "syntax", "The key `dump` is already defined")]
    [InlineData("[dump\nx = 1", 1, "syntax", "")]
    public void Bad_input_names_line_and_key(string toml, int line, string key, string problem)
    {
        var e = Refused(toml);
        Assert.Equal(line, e.Line);
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"{Path.Combine(_dir, "pgborg.toml")}:{line}: {key}:", e.Message);
    }

    [Fact]
    public void A_missing_repository_points_at_the_section_when_it_is_needed()
    {
        var config = PgBorgConfig.Load(Write("state_directory = \"/s\"\n\n[dump]\ninterval = \"1h\"\n"));
        var e = Assert.Throws<ConfigException>(() => config.DumpFor("main"));
        Assert.Equal(3, e.Line);
        Assert.Equal("dump.repository", e.Key);
        var none = Assert.Throws<ConfigException>(() => config.ArchiveFor("main"));
        Assert.Equal("archive.repository", none.Key);
    }

    [Theory]
    [InlineData(0b110_100_000)]
    [InlineData(0b110_000_100)]
    [InlineData(0b110_110_000)]
    public void A_passphrase_in_a_file_readable_by_others_is_refused(int mode)
    {
        var e = Refused("[dump]\nrepository = \"/r\"\npassphrase = \"secret\"\n", (UnixFileMode)mode);
        Assert.Equal(3, e.Line);
        Assert.Contains("readable by group or others", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Fact]
    public void A_passphrase_in_a_private_file_is_accepted_and_wins_over_passcommand()
    {
        var config = PgBorgConfig.Load(Write("[dump]\nrepository = \"/r\"\npassphrase = \"secret\"\npasscommand = \"cat x\"\n"));
        Assert.Equal("secret", config.DumpFor("a").Repository.Passphrase);
        Assert.Null(config.DumpFor("a").Repository.PassCommand);
        Assert.DoesNotContain("secret", config.DumpFor("a").Repository.ToString());
    }

    [Fact]
    public void Keep_within_zero_turns_the_rule_off()
    {
        var config = PgBorgConfig.Load(Write("[dump]\nrepository = \"/r\"\nkeep_within = \"0s\"\n"));
        Assert.Equal(TimeSpan.Zero, config.DumpFor("a").KeepWithin);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("7d", 604800)]
    [InlineData("1w", 604800)]
    [InlineData("1h30m", 5400)]
    public void Durations_parse(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("1 h")]
    [InlineData("1y")]
    [InlineData("-5m")]
    [InlineData("99999999999999999999d")]
    public void Bad_durations_are_refused(string text) => Assert.False(Duration.TryParse(text, out _));

    [Fact]
    public void The_path_comes_from_the_option_then_the_environment_then_the_default()
    {
        Assert.Equal("/x.toml", PgBorgConfig.ResolvePath("/x.toml"));
        var old = Environment.GetEnvironmentVariable("PGBORG_CONFIG");
        try
        {
            Environment.SetEnvironmentVariable("PGBORG_CONFIG", "/env.toml");
            Assert.Equal("/env.toml", PgBorgConfig.ResolvePath(null));
            Environment.SetEnvironmentVariable("PGBORG_CONFIG", null);
            Assert.Equal("/etc/pgborg/pgborg.toml", PgBorgConfig.ResolvePath(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGBORG_CONFIG", old);
        }
    }
}

public sealed class ShippedConfigTests
{
    [Fact]
    public void The_commented_example_in_packaging_is_valid()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PgBorg.slnx")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        var config = PgBorgConfig.Load(Path.Combine(dir.FullName, "packaging", "pgborg.toml"));
        Assert.Equal("/var/backups/pgborg/dump", config.DumpFor("any").Repository.Location);
    }
}
