using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>pgdumpd as systemd runs it: Type=notify, watchdog, SIGTERM.</summary>
public sealed class DumpDaemonTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync();
        await _cluster.SqlAsync("CREATE DATABASE app");
        await _cluster.SqlAsync("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g", "app");
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    /// <summary>A pg_dump that has written everything but never finishes; SIGTERM stops it and its sleep.</summary>
    private const string HangingDump = "trap 'kill $! 2>/dev/null; exit 143' TERM; \"$REAL\" \"$@\"; sleep 600 & wait";

    /// <summary>Only the dump of app hangs (the last of the round: postgres is smaller), so no other dump is waiting.</summary>
    private const string HangingDumpOfApp = "if [[ \"$*\" == *\"dbname='app'\"* ]]; then " + HangingDump + "; else exec \"$REAL\" \"$@\"; fi";

    [Fact(Timeout = 180_000)]
    public async Task Notifies_ready_after_the_first_round_feeds_the_watchdog_and_stops_cleanly_on_SIGTERM()
    {
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        await using var daemon = new DaemonProcess(_sandbox, ["pgdumpd"], new Dictionary<string, string> { ["WATCHDOG_USEC"] = "1000000" });

        await daemon.WaitForAsync(d => d.Messages.Contains("READY=1"), TimeSpan.FromSeconds(60), "READY=1");
        // READY comes after the first round: every database is in the repository by then
        var names = await _sandbox.ArchiveNamesAsync();
        Assert.Contains(names, n => n.Contains("~dump~app~"));
        Assert.Contains(names, n => n.Contains("~globals~"));
        var readyIndex = daemon.Messages.ToList().IndexOf("READY=1");
        Assert.Contains(daemon.Messages.Take(readyIndex), m => m.StartsWith("STATUS=app") || m.StartsWith("STATUS=main: dumping"));

        await daemon.WaitForAsync(d => d.Messages.Count(m => m == "WATCHDOG=1") >= 3, TimeSpan.FromSeconds(10), "three WATCHDOG=1");
        Assert.Contains(daemon.Messages, m => m.StartsWith("STATUS=last round") && m.Contains("next at"));

        Assert.Equal(0, await daemon.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("STOPPING=1", daemon.Messages);
    }

    [Fact(Timeout = 180_000)]
    public async Task SIGTERM_during_a_dump_leaves_no_partial_or_checkpoint_archive()
    {
        using var bin = new FakeBin(new Dictionary<string, string> { ["pg_dump"] = HangingDumpOfApp });
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster, extraInstance: $"bin_directory = \"{bin.Path}\""));
        await using var daemon = new DaemonProcess(_sandbox, ["pgdumpd"]);
        var dump = await WaitForHangingDumpAsync(daemon, bin);

        Assert.Equal(0, await daemon.TerminateAsync(TimeSpan.FromSeconds(60)));
        var names = await _sandbox.ArchiveNamesAsync();
        Assert.DoesNotContain(names, n => n.Contains("partial") || n.EndsWith(".checkpoint"));
        Assert.DoesNotContain(names, n => n.Contains("~dump~app~"));
        Assert.Contains(names, n => n.Contains("~dump~postgres~"));
        // the hanging pg_dump was stopped with it (once dead, it may stay a zombie for a moment until it is reaped)
        await Eventually.AssertAsync(() => !Alive(dump), TimeSpan.FromSeconds(10), $"pg_dump {dump} left running");
        var ps = await Run.ProgramAsync("/usr/bin/pgrep", ["-f", bin.Path]);
        Assert.True(ps.ExitCode == 1, "left running: " + ps.Stdout);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_dump_whose_Borg_is_killed_dies_with_it_and_is_reported_failed()
    {
        // Borg does not stop the command it runs when it is stopped itself; pg_dump must not outlive it
        using var bin = new FakeBin(new Dictionary<string, string> { ["pg_dump"] = HangingDumpOfApp });
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster, extraInstance: $"bin_directory = \"{bin.Path}\""));
        await using var daemon = new DaemonProcess(_sandbox, ["pgdumpd"]);
        var dump = await WaitForHangingDumpAsync(daemon, bin);
        var borg = ParentOf(dump);
        Assert.Contains("borg", File.ReadAllText($"/proc/{borg}/cmdline"));

        Assert.Equal(0, (await Run.ProgramAsync("/bin/kill", ["-KILL", borg.ToString()])).ExitCode);
        await daemon.WaitForAsync(_ => !Alive(dump), TimeSpan.FromSeconds(10), $"pg_dump {dump} to die with its Borg");
        await daemon.WaitForAsync(d => d.Stderr.Contains("dump of database app failed"), TimeSpan.FromSeconds(30),
            "pgdumpd to report the failed dump of app");
        Assert.Equal(0, await daemon.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain(await _sandbox.ArchiveNamesAsync(), n => n.Contains("~dump~app~") || n.EndsWith(".checkpoint"));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_second_daemon_on_the_same_state_directory_is_refused()
    {
        using var bin = new FakeBin(new Dictionary<string, string> { ["pg_dump"] = HangingDump });
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster, extraInstance: $"bin_directory = \"{bin.Path}\""));
        await using var daemon = new DaemonProcess(_sandbox, ["pgdumpd"]);
        await daemon.WaitForAsync(d => d.Messages.Any(m => m.StartsWith("STATUS=main: dumping")), TimeSpan.FromSeconds(60), "the first round to start");
        var second = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("another pgdumpd is already running", second.Stderr);
    }

    /// <summary>Waits until Borg runs the hanging dump of app, and returns the wrapper's pid (not Borg's, whose argv holds it too).</summary>
    private static async Task<int> WaitForHangingDumpAsync(DaemonProcess daemon, FakeBin bin)
    {
        var wrapper = Path.Combine(bin.Path, "pg_dump");
        var pid = 0;
        await daemon.WaitForAsync(_ =>
        {
            var found = Run.ProgramAsync("/usr/bin/pgrep", ["-f", $"^/bin/bash {wrapper} .*dbname='app'"]).Result;
            return found.ExitCode == 0 && int.TryParse(found.Stdout.Split('\n')[0], out pid);
        }, TimeSpan.FromSeconds(60), "Borg to run the dump of app");
        return pid;
    }

    /// <summary>Running or sleeping: a zombie (Z) or dead (X) process still has its /proc entry until it is reaped.</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    private static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }
}
