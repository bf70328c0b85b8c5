using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>A cluster with ~30 MB in one table, archived by pgcad (a base and WAL) and dumped by pgdumpd into a second repository.</summary>
public sealed class ProgressFixture : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;
    public Sandbox Sandbox { get; } = new();
    public string DumpRepository => Sandbox.Sub("dumps");

    public async ValueTask InitializeAsync()
    {
        Cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await Cluster.SqlAsync("CREATE DATABASE app");
        // random text: Borg and pg_dump cannot shrink it much, so extracting it takes long enough to be seen
        await Cluster.SqlAsync("CREATE TABLE t AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS v FROM generate_series(1, 300000) g", "app");
        Sandbox.WriteConfig(Sandbox.ArchiveConfig(Cluster) + $"""

            [dump]
            repository = "{DumpRepository}"
            passphrase = "{Sandbox.Passphrase}"
            interval = "1h"
            """);
        var archived = await Sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(archived.ExitCode == 0, archived.ToString());
        await Cluster.SwitchAndWaitArchivedAsync();
        archived = await Sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(archived.ExitCode == 0, archived.ToString());
        var dumped = await Sandbox.PgBorgAsync(["pgdumpd", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        Assert.True(dumped.ExitCode == 0, dumped.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Sandbox.Dispose();
    }
}

/// <summary>
/// The progress of interactive work: plain lines on stderr every PGBORG_PROGRESS_INTERVAL (30 s by default) without a
/// terminal, a live bar drawn by Spectre.Console on one (a pseudo-terminal from script(1)); never on stdout.
/// </summary>
public sealed partial class ProgressTests(ProgressFixture f) : IClassFixture<ProgressFixture>
{
    private static Dictionary<string, string> Every(string seconds) => new() { ["PGBORG_PROGRESS_INTERVAL"] = seconds };

    // "restore of main: 12.3 MiB of 45.6 MiB (26%), 80.1 MiB/s, 1s left" (rate and time left once measurable)
    [GeneratedRegex(@"(?<work>[a-z][a-z ]* of \w+): (?<done>[\d.]+ (?:B|KiB|MiB|GiB)) of (?<total>[\d.]+ (?:B|KiB|MiB|GiB)) \((?<percent>\d+)%\)")]
    private static partial Regex Line();

    // "restore of main: 45.6 MiB in 2s, 22.8 MiB/s on average"
    [GeneratedRegex(@"(?<work>[a-z][a-z ]* of \w+): [\d.]+ (?:B|KiB|MiB|GiB) in \d+s")]
    private static partial Regex Closing();

    private async Task<string> BaseSizeAsync()
    {
        var info = await f.Sandbox.PgBorgAsync("pgcarestore", "info");
        Assert.True(info.ExitCode == 0, info.ToString());
        return Regex.Match(info.Stdout, @"^size:\s+(.+)$", RegexOptions.Multiline).Groups[1].Value.Trim();
    }

    [Fact(Timeout = 300_000)]
    public async Task A_restore_without_a_terminal_writes_plain_lines_against_the_bases_size_to_stderr_and_none_to_stdout()
    {
        var size = await BaseSizeAsync();
        Assert.NotEqual("", size);
        using var target = new TempDir("pgborg-progress");
        var r = await f.Sandbox.PgBorgAsync(["pgcarestore", "restore", "--json", "--target-dir", target.Sub("data")], Every("0.1"), timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());

        var lines = Line().Matches(r.Stderr).Where(m => m.Groups["work"].Value == "restore of main").ToList();
        Assert.True(lines.Count > 0, "no progress line on stderr:\n" + r.Stderr);
        // the total is the base's size from its metadata, the same pgcarestore info shows
        Assert.All(lines, m => Assert.Equal(size, m.Groups["total"].Value));
        Assert.Contains(Closing().Matches(r.Stderr), m => m.Groups["work"].Value == "restore of main");
        Assert.DoesNotContain("restore of main", r.Stdout);
        Assert.Contains("Restored ", r.Stdout);
        await WalExtractors.KillUnderAsync(target.Path);
    }

    [Fact(Timeout = 300_000)]
    public async Task Within_the_default_interval_a_restore_writes_no_progress_at_all()
    {
        using var target = new TempDir("pgborg-progress");
        var r = await f.Sandbox.PgBorgAsync(["pgcarestore", "restore", "--target-dir", target.Sub("data")], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());

        Assert.DoesNotContain("restore of main", r.Stderr + r.Stdout);
        await WalExtractors.KillUnderAsync(target.Path);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_new_cycle_shows_the_bytes_Borg_has_read_against_the_measured_data_directory()
    {
        var r = await f.Sandbox.PgBorgAsync(["pgcad", "--once", "--new-cycle"], Every("0.1"), timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());

        var lines = Line().Matches(r.Stderr).Where(m => m.Groups["work"].Value == "base backup of main").ToList();
        Assert.True(lines.Count > 0, "no progress line on stderr:\n" + r.Stderr);
        Assert.Contains(lines, m => int.Parse(m.Groups["percent"].Value) > 0);
        Assert.Single(lines.Select(m => m.Groups["total"].Value).Distinct());
        Assert.Contains(Closing().Matches(r.Stderr), m => m.Groups["work"].Value == "base backup of main");
        Assert.Equal("", r.Stdout);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_dump_extracted_to_stdout_is_byte_for_byte_Borgs_while_its_progress_goes_to_stderr()
    {
        var archive = (await f.Sandbox.PgBorgAsync("pgdumprestore", "list", "--json", "app")).Stdout;
        var name = Regex.Match(archive, "\"archive\":\\s*\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEqual("", name);
        using var ours = new MemoryStream();
        var r = await Run.ProgramAsync(PgBorgBinary.Path, ["pgdumprestore", "extract", "app"],
            new Dictionary<string, string> { ["PGBORG_CONFIG"] = f.Sandbox.ConfigPath, ["PGBORG_PROGRESS_INTERVAL"] = "0.02" }, stdoutTo: ours);
        Assert.True(r.ExitCode == 0, r.Stderr);

        using var borgs = new MemoryStream();
        var borg = await Run.ProgramAsync("/usr/bin/borg", ["extract", "--stdout", "::" + name], new Dictionary<string, string>
        {
            ["BORG_PASSPHRASE"] = Sandbox.Passphrase,
            ["BORG_BASE_DIR"] = Path.Combine(f.Sandbox.StateDirectory, "borg"),
            ["BORG_REPO"] = f.DumpRepository,
        }, stdoutTo: borgs);
        Assert.True(borg.ExitCode == 0, borg.ToString());
        Assert.True(ours.Length > 1 << 20, $"a dump of {ours.Length} bytes");
        Assert.Equal(borgs.ToArray(), ours.ToArray());

        var lines = Line().Matches(r.Stderr).Where(m => m.Groups["work"].Value == "extract of app").ToList();
        Assert.True(lines.Count > 0, "no progress line on stderr:\n" + r.Stderr);
    }

    [Fact(Timeout = 300_000)]
    public async Task On_a_terminal_a_restore_draws_a_live_bar_and_its_own_lines_above_it()
    {
        var size = await BaseSizeAsync();
        using var target = new TempDir("pgborg-progress");
        // script(1) runs the command on a pseudo-terminal and copies what it draws to its own stdout
        var command = $"'{PgBorgBinary.Path}' pgcarestore restore --target-dir '{target.Sub("data")}'";
        var r = await Run.ProgramAsync("/usr/bin/script", ["-q", "-e", "-f", "-c", command, "/dev/null"], new Dictionary<string, string>
        {
            ["PGBORG_CONFIG"] = f.Sandbox.ConfigPath,
            ["PGBORG_PROGRESS_INTERVAL"] = "0.1", // would be plain lines if the terminal were not seen
            ["TERM"] = "xterm-256color",
            ["COLUMNS"] = "150",
            ["LANG"] = "C.UTF-8",
        }, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());

        Assert.Contains("\e[", r.Stdout); // drawn with escape sequences
        Assert.Contains("restore of main", r.Stdout);
        Assert.Contains($"of {size} (", r.Stdout);
        Assert.Contains($"{size} of {size} (100%)", r.Stdout); // the last figures: every byte of the base
        Assert.Empty(Line().Matches(r.Stdout)); // the label stands in its own column: no plain line
        Assert.Contains("Restored ", r.Stdout);
        await WalExtractors.KillUnderAsync(target.Path);
    }
}
