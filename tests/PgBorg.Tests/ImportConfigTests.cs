using PgBorg.Configuration;
using PgBorg.LegacyConfig;

namespace PgBorg.Tests;

public sealed class ImportConfigTests : IDisposable
{
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "Legacy");
    private static readonly string PgcaSample = Path.Combine(Samples, "pgca.ini");
    private static readonly string PgdumpSample = Path.Combine(Samples, "pgdump.ini");

    private static readonly KnownInstance[] MainAndReports =
    [
        new("main", "/var/lib/postgresql/15/main", 15),
        new("reports", "/srv/pg/reports", 14),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Ini(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Writes the output as pgborg would find it installed (0600) and loads it with pgborg's own validation.</summary>
    private PgBorgConfig Loaded(string toml)
    {
        var path = Path.Combine(_dir, "pgborg.toml");
        File.WriteAllText(path, toml);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return PgBorgConfig.Load(path);
    }

    private static string ConvertSamples(IReadOnlyList<KnownInstance> known) =>
        ConfigImporter.Convert(IniFile.Load(PgcaSample), IniFile.Load(PgdumpSample), known);

    [Fact]
    public void The_samples_become_a_configuration_pgborg_loads_with_the_same_repositories_and_environment()
    {
        var config = Loaded(ConvertSamples(MainAndReports));

        Assert.Equal("info", config.LogLevel);
        var main = config.ArchiveFor("main").Repository;
        Assert.Equal("ssh://backup@backup.example.org/srv/borg/db1-main-pgca", main.Location);
        Assert.Equal("cat /etc/pgca.passphrase", main.PassCommand);
        Assert.Equal("ssh -i /etc/pgca.id_ed25519 -o BatchMode=yes", main.Environment["BORG_RSH"]);
        Assert.Equal("/usr/local/bin/borg", main.Environment["BORG_REMOTE_PATH"]);

        var reports = config.ArchiveFor("reports").Repository;
        Assert.Equal("ssh://backup@backup.example.org/srv/borg/db1-pgca", reports.Location);
        Assert.False(reports.Environment.ContainsKey("BORG_REMOTE_PATH"));
        Assert.False(reports.Environment.ContainsKey("XDG_CACHE_HOME"));

        Assert.Equal("/var/backups/borg/pgdump", config.DumpFor("main").Repository.Location);
        Assert.Equal("correct horse battery staple", config.DumpFor("main").Repository.Passphrase);
        Assert.Equal("/var/backups/borg/pgdump-reports", config.DumpFor("reports").Repository.Location);
        Assert.Equal(TimeSpan.FromHours(1), config.DumpFor("main").Interval);
        Assert.Equal(3, config.ArchiveFor("main").KeepCycles);
        Assert.Equal(TimeSpan.FromDays(90), config.ArchiveFor("main").KeepWithin);

        Assert.Equal(["main", "reports"], config.Instances.Select(i => i.Name));
        Assert.Equal("/var/lib/postgresql/15/main", config.Instances[0].DataDirectory);
    }

    [Fact]
    public void Every_key_of_the_samples_is_in_the_output_either_carried_over_or_as_a_comment_naming_its_line()
    {
        var output = ConvertSamples(MainAndReports);
        foreach (var (file, name) in new[] { (PgcaSample, "pgca.ini"), (PgdumpSample, "pgdump.ini") })
        {
            foreach (var section in IniFile.Load(file).Sections)
            {
                foreach (var e in section.Entries)
                {
                    var line = output.Split('\n').FirstOrDefault(l => l.Contains($"{name}:{e.Line}", StringComparison.Ordinal));
                    Assert.True(line is not null, $"{name}:{e.Line} ({e.Key}) is not in the output");
                    Assert.Contains(e.Value, line, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void What_cannot_be_carried_over_is_a_comment_saying_why()
    {
        var output = ConvertSamples(MainAndReports);
        Assert.Contains("# XDG_CACHE_HOME = \"/srv/cache/pgca-reports\"  # pgca.ini:16 [env-reports]: not carried over", output, StringComparison.Ordinal);
        Assert.Contains("# log_level = \"warning\"  # pgdump.ini:10 [logging] level = WARNING: not carried over", output, StringComparison.Ordinal);
        Assert.Contains("archive_command = '/usr/bin/pgborg wal-push %p'", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_section_for_another_version_than_the_instance_runs_here_is_a_comment()
    {
        var config = ConvertSamples([new("main", "/var/lib/postgresql/16/main", 16)]);
        Assert.Contains("[env-main-15] (pgca.ini:12) not carried over: it is for PostgreSQL 15, and main runs PostgreSQL 16 here", config, StringComparison.Ordinal);
        Assert.False(Loaded(config).ArchiveFor("main").Repository.Environment.ContainsKey("BORG_REMOTE_PATH"));
    }

    [Fact]
    public void An_instance_that_is_not_on_this_host_gets_a_data_directory_to_fill_in_and_the_newest_version_section()
    {
        var output = ConvertSamples([]);
        Assert.Contains("# data_directory = \"\"  # main was not found on this host (found: none)", output, StringComparison.Ordinal);
        var config = Loaded(output);
        Assert.Null(config.Instances.Single(i => i.Name == "main").DataDirectory);
        Assert.Equal("/usr/local/bin/borg", config.ArchiveFor("main").Repository.Environment["BORG_REMOTE_PATH"]);
    }

    [Fact]
    public void An_instance_named_like_name_dash_version_on_this_host_is_that_instance()
    {
        var output = ConvertSamples([new("reports-14", "/srv/pg/reports-14", 15)]);
        Assert.Equal("/var/backups/borg/pgdump-reports", Loaded(output).DumpFor("reports-14").Repository.Location);
    }

    [Fact]
    public void The_instance_version_section_overrides_the_instance_section_and_the_overridden_value_stays_as_a_comment()
    {
        var pgca = Ini("pgca.ini", """
            [environment]
            BORG_REPO = /srv/borg/all
            [env-main]
            BORG_REPO = /srv/borg/main
            [env-main-15]
            BORG_REPO = /srv/borg/main15
            """);
        var output = ConfigImporter.Convert(IniFile.Load(pgca), null, [new("main", "/d", 15)]);
        Assert.Contains("# repository = \"/srv/borg/main\"  # pgca.ini:4 [env-main]  (overridden by pgca.ini:6 [env-main-15], as in the earlier tool)", output, StringComparison.Ordinal);
        Assert.Equal("/srv/borg/main15", Loaded(output).ArchiveFor("main").Repository.Location);
        Assert.DoesNotContain("[dump]", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_with_quotes_backslashes_continuation_lines_and_percent_signs_survive_exactly()
    {
        var pgca = Ini("pgca.ini", "[environment]\nBORG_REPO = /srv/borg/a \"b\" \\c\nBORG_PASSCOMMAND = sh -c 'echo 100%%'\nBORG_RSH: ssh\n  -o BatchMode=yes\n");
        var output = ConfigImporter.Convert(IniFile.Load(pgca), null, []);
        var repo = Loaded(output).ArchiveFor("x").Repository;
        Assert.Equal("/srv/borg/a \"b\" \\c", repo.Location);
        Assert.Equal("sh -c 'echo 100%%'", repo.PassCommand);
        Assert.Equal("ssh\n-o BatchMode=yes", repo.Environment["BORG_RSH"]);
        Assert.Contains("contains '%': the earlier tool's ini reader may have interpolated it", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Sections_and_keys_pgborg_has_no_place_for_are_comments()
    {
        var pgdump = Ini("pgdump.ini", """
            [environment]
            BORG_REPO = /srv/borg/dump
            BORG_BASE_DIR = /root/borg
            BORG_PASSPHRASE_FD = 3
            [logging]
            level = INFO
            format = %(message)s
            [mail]
            to = root@example.org
            """);
        var output = ConfigImporter.Convert(null, IniFile.Load(pgdump), []);
        Assert.Contains("# BORG_BASE_DIR = /root/borg  # pgdump.ini:3 [environment]: not carried over", output, StringComparison.Ordinal);
        Assert.Contains("# BORG_PASSPHRASE_FD = 3  # pgdump.ini:4 [environment]: not carried over", output, StringComparison.Ordinal);
        Assert.Contains("# format = %(message)s  # pgdump.ini:7 [logging]: not carried over", output, StringComparison.Ordinal);
        Assert.Contains("# [mail] (pgdump.ini:8) not carried over", output, StringComparison.Ordinal);
        Assert.Contains("#   to = root@example.org  # pgdump.ini:9", output, StringComparison.Ordinal);
        Assert.Equal("/srv/borg/dump", Loaded(output).DumpFor("x").Repository.Location);
    }

    public static TheoryData<string, int, string> Broken => new()
    {
        { "BORG_REPO = /srv/borg\n[environment]\n", 1, "'BORG_REPO' comes before any [section]" },
        { "[environment]\nBORG_REPO /srv/borg\n", 2, "expected KEY = VALUE, not 'BORG_REPO /srv/borg'" },
        { "[environment]\nBORG_REPO = /a\n\n[environment]\n", 4, "section [environment] appears twice (first on line 1)" },
        { "[env-main]\nBORG_REPO = /a\nborg_repo = /b\n", 3, "borg_repo appears twice in [env-main] (first on line 2)" },
        { "; comment\n[env-main\nBORG_REPO = /a\n", 2, "a section header must be [NAME] on a line of its own, not '[env-main'" },
        { "[environment]\n = /a\n", 2, "the key before the '=' is empty" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_ini_file_is_refused_naming_file_and_line(string text, int line, string problem)
    {
        var path = Ini("pgca.ini", text);
        var e = Assert.Throws<LegacyConfigException>(() => IniFile.Load(path));
        Assert.Equal($"{path}:{line}: {problem}", e.Message);
        Assert.Equal(2, ExitCodes.For(e));
    }

    [Fact]
    public void A_broken_variant_of_the_sample_names_the_line_of_the_damage()
    {
        var lines = File.ReadAllLines(PgcaSample).ToList();
        Assert.Equal("level = INFO", lines[18]);
        lines[18] = "level INFO";
        var path = Ini("pgca.ini", string.Join('\n', lines));
        var e = Assert.Throws<LegacyConfigException>(() => IniFile.Load(path));
        Assert.Equal($"{path}:19: expected KEY = VALUE, not 'level INFO'", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_refused_naming_the_line()
    {
        var path = Path.Combine(_dir, "pgdump.ini");
        File.WriteAllBytes(path, [.. "[environment]\nBORG_PASSPHRASE = caf"u8, 0xE9, (byte)'\n']);
        var e = Assert.Throws<LegacyConfigException>(() => IniFile.Load(path));
        Assert.Equal($"{path}:2: not UTF-8 text", e.Message);
    }

    [Fact]
    public void A_named_file_must_exist_but_a_missing_default_is_skipped()
    {
        var missing = Path.Combine(_dir, "nope.ini");
        var e = Assert.Throws<LegacyConfigException>(() => LegacyConfigFiles.Open(missing, "PGBORG_TEST_UNSET_VARIABLE", "/nonexistent"));
        Assert.StartsWith($"{missing}: cannot read the file", e.Message, StringComparison.Ordinal);
        Assert.Null(LegacyConfigFiles.Open(null, "PGBORG_TEST_UNSET_VARIABLE", missing));
    }
}
