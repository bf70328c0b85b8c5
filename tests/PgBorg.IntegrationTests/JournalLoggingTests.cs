using System.Text.RegularExpressions;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>Under systemd (JOURNAL_STREAM set) log lines fit journald: a priority prefix, no timestamp, one line per event naming the instance.</summary>
public sealed partial class JournalLoggingTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    [GeneratedRegex(@"^<[0-7]>")]
    private static partial Regex Priority();

    [GeneratedRegex(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")]
    private static partial Regex Timestamp();

    [Fact(Timeout = 300_000)]
    public async Task Pgdumpd_under_journald_writes_priority_prefixed_lines_naming_the_instance_and_no_Borg_banner()
    {
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        // a new repository: borg init's advice (clients up to 1.0.8, key backup) is noise at info
        var r = await _sandbox.PgBorgAsync(["pgdumpd", "--once"], new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" });
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            Assert.Matches(Priority(), line);
            Assert.DoesNotMatch(Timestamp(), line);
            Assert.True(line.Contains("main", StringComparison.Ordinal) || line.Contains(_sandbox.Root, StringComparison.Ordinal), $"names no instance: {line}");
        }
        Assert.DoesNotContain("1.0.8", r.Stderr);
        Assert.Contains(lines, l => l.StartsWith("<6>", StringComparison.Ordinal) && l.Contains("main: dumped database postgres", StringComparison.Ordinal));
    }
}
