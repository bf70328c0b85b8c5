namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A stepped wall clock for the processes a test starts, through libfaketime (LD_PRELOAD); the machine's clock and
/// PostgreSQL's stay real. The multi-threaded variant is the one to preload: the plain <c>libfaketime.so.1</c> parses the
/// offset in a static buffer shared by all threads, and in a .NET daemon (many threads reading the clock) about one call
/// in 300 returned the unfaked time (measured with 4 threads reading an offset file of <c>+1d</c>; 0 with the MT
/// variant). One such reading named a dump a day older than its round and made ClockJumpTests fail.
/// </summary>
public sealed class FakeClock
{
    public const string Library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

    private readonly string _offsetFile;

    private FakeClock(string offsetFile) => _offsetFile = offsetFile;

    /// <summary>A clock whose offset lives in a file (re-read on every call), so it can be stepped while the processes run.</summary>
    public static FakeClock InFile(string offsetFile, string offset = "+0")
    {
        EnsureInstalled();
        var clock = new FakeClock(offsetFile);
        clock.Step(offset);
        return clock;
    }

    /// <summary>The environment of a process that should see this clock.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["LD_PRELOAD"] = Library, ["FAKETIME_TIMESTAMP_FILE"] = _offsetFile, ["FAKETIME_NO_CACHE"] = "1",
        // a stepped clock moves CLOCK_REALTIME only; timeouts and intervals run on the monotonic clock
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
    };

    /// <summary>The environment of a process whose clock stands at a fixed offset (libfaketime's syntax: "-1h", "+1d").</summary>
    public static Dictionary<string, string> Fixed(string offset)
    {
        EnsureInstalled();
        return new() { ["LD_PRELOAD"] = Library, ["FAKETIME"] = offset, ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1" };
    }

    /// <summary>Steps the clock: the file is replaced by rename, so no reader sees it empty (which reads as no offset).</summary>
    public void Step(string offset)
    {
        var temporary = _offsetFile + ".new";
        File.WriteAllText(temporary, offset + "\n");
        File.Move(temporary, _offsetFile, overwrite: true);
    }

    private static void EnsureInstalled() =>
        Assert.True(File.Exists(Library), $"{Library} is missing (scripts/prerequisites.sh installs libfaketime)");
}
