using Microsoft.Extensions.Logging;
using PgBorg.State;

namespace PgBorg.Tests;

public sealed class StateFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-unit-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly DateTimeOffset At = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_report_replaces_only_what_it_names_and_a_new_recorder_starts_from_the_file()
    {
        var written = new List<DaemonState>();
        var recorder = new StateRecorder(_dir, "pgdumpd", written.Add);
        recorder.Report([new InstanceState("a", At, 1, InstanceState.Ok, null, At, 0), new InstanceState("b", At, 1, InstanceState.Ok, null, At, 0)],
            [new DatabaseState("a", "db", InstanceState.Ok, null, At, At, 10, 1)], []);
        recorder.Report([new InstanceState("b", At, 2, InstanceState.Failed, "down", At, 1)], [], [new RepositoryState("/r", 3)]);
        Assert.Equal(2, written.Count);

        var again = new StateRecorder(_dir, "pgdumpd", _ => { });
        Assert.Equal(InstanceState.Ok, again.Instance("a")!.LastResult);
        Assert.Equal("down", again.Instance("b")!.LastError);
        Assert.Equal(10, again.Database("a", "db")!.NewestDumpSize);
        Assert.Equal(Environment.ProcessId, again.Current.Pid);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "status"), "*.tmp"));
        Assert.Null(StateFile.TryRead(_dir, "pgcad"));
    }

    [Fact]
    public void A_damaged_state_file_reads_as_none()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "status"));
        File.WriteAllText(StateFile.PathFor(_dir, "pgcad"), "{ not json");
        Assert.Null(StateFile.TryRead(_dir, "pgcad"));
    }

    [Fact]
    public void The_instance_logger_names_the_instance_once()
    {
        var lines = new List<string>();
        var log = new InstanceLogger(new LineLogger(lines), "main");
        Log.InitialisingRepository(log, "/r");
        Log.ArchiveRoundFailed(log, "main", "boom");
        Assert.Equal(["main: initialising Borg repository /r (repokey-blake2)", "main: archiving round failed: boom"], lines);
    }

    private sealed class LineLogger(List<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add(formatter(state, exception));
    }
}
