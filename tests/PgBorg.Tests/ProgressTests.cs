using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Borg;
using PgBorg.Progress;

namespace PgBorg.Tests;

/// <summary>Borg's progress lines as bytes, added up over its processes, and the words shown for them.</summary>
public class ProgressTests
{
    private static readonly TimeSpan At0 = TimeSpan.Zero;

    // lines as Borg 1.2.4 writes them with --log-json --progress (recorded from borg create and borg extract)
    private const string CreateStart = """{"original_size": 0, "compressed_size": 0, "deduplicated_size": 0, "nfiles": 0, "path": "src", "time": 1796536182.4445267, "type": "archive_progress", "finished": false}""";
    private const string CreateMid = """{"original_size": 20510220, "compressed_size": 20510607, "deduplicated_size": 20510607, "nfiles": 0, "path": "src/a", "time": 1796536182.6802084, "type": "archive_progress", "finished": false}""";
    private const string CreateDone = """{"time": 1796536182.8152325, "type": "archive_progress", "finished": true}""";
    private const string CacheMessage = """{"message": "Saving cache config", "operation": 2, "msgid": "cache.commit", "type": "progress_message", "finished": false, "time": 1796536182.8643887}""";
    private const string ExtractCounting = """{"message": "Calculating total archive size for the progress indicator (might take long for large archives)", "current": 0, "total": 0, "info": null, "operation": 1, "msgid": "extract", "type": "progress_percent", "finished": false, "time": 1796536183.4522529}""";
    private const string ExtractMid = """{"message": "  3.2% Extracting: src/a", "current": 3871541, "total": 35000000, "info": ["src/a"], "operation": 1, "msgid": "extract", "type": "progress_percent", "finished": false, "time": 1796536183.5066285}""";
    private const string ExtractDone = """{"operation": 1, "msgid": "extract", "type": "progress_percent", "finished": true, "time": 1796536183.7617764}""";
    private const string Permissions = """{"message": "Setting directory permissions 50%", "current": 5, "total": 10, "info": null, "operation": 2, "msgid": "extract.permissions", "type": "progress_percent", "finished": false, "time": 1796536183.8}""";
    private const string Compact = """{"message": "Compacting segments  10%", "current": 1, "total": 10, "info": null, "operation": 1, "msgid": "compact.compact_segments", "type": "progress_percent", "finished": false, "time": 1796536183.8}""";

    private sealed class Collected : IProgress<BorgTransfer>
    {
        public List<BorgTransfer> Reports { get; } = [];

        public void Report(BorgTransfer value) => Reports.Add(value);
    }

    private static List<BorgTransfer> Feed(params string[] lines)
    {
        var collected = new Collected();
        var heartbeats = 0;
        var stderr = new BorgRepository.BorgStderr(NullLogger.Instance, "extract") { OnProgress = () => heartbeats++, OnTransfer = collected };
        foreach (var line in lines)
        {
            stderr.OnLine(line);
        }
        Assert.Equal(lines.Length, heartbeats); // the watchdog's heartbeat still sees every line
        return collected.Reports;
    }

    [Fact]
    public void Create_reports_the_bytes_read_and_no_total_and_its_final_line_keeps_the_last_figure()
    {
        var reports = Feed(CreateStart, CreateMid, CacheMessage, CreateDone);

        Assert.Equal([0L, 20_510_220L, 20_510_220L], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Null(r.Total));
        Assert.Equal([false, false, true], reports.Select(r => r.Finished));
        Assert.Single(reports.Select(r => r.Operation).Distinct());
    }

    [Fact]
    public void Extract_reports_bytes_of_Borgs_total_once_Borg_has_added_it_up()
    {
        var reports = Feed(ExtractCounting, ExtractMid, ExtractDone);

        Assert.Equal(new BorgTransfer(reports[0].Operation, 0, null, false), reports[0]);
        Assert.Equal(new BorgTransfer(reports[0].Operation, 3_871_541, 35_000_000, false), reports[1]);
        // Borg's final line has no figures and the bytes after its last 0.1 % step never had a line: all were extracted
        Assert.Equal(new BorgTransfer(reports[0].Operation, 35_000_000, 35_000_000, true), reports[2]);
    }

    [Fact]
    public void Progress_that_counts_directories_or_segments_is_not_taken_for_bytes()
    {
        Assert.Empty(Feed(Permissions, Compact, CacheMessage));
    }

    [Fact]
    public void Each_Borg_process_is_its_own_operation()
    {
        var a = Feed(ExtractMid);
        var b = Feed(ExtractMid);

        Assert.NotEqual(a[0].Operation, b[0].Operation);
    }

    [Fact]
    public void Parallel_extracts_add_up_and_the_total_waits_until_every_worker_has_counted()
    {
        var work = new TransferProgress("restore", null);
        work.Report(new BorgTransfer(1, 100, 1000, false));
        work.Report(new BorgTransfer(2, 0, null, false)); // still adding up its items

        Assert.Equal(100, work.Read(At0).Done);
        Assert.Null(work.Read(At0).Total);

        work.Report(new BorgTransfer(2, 50, 500, false));
        var r = work.Read(At0);
        Assert.Equal(150, r.Done);
        Assert.Equal(1500, r.Total);
    }

    [Fact]
    public void A_total_known_beforehand_wins_over_Borgs_and_archives_in_sequence_add_up()
    {
        var work = new TransferProgress("restore", 10_000);
        work.Report(new BorgTransfer(1, 6_000, 6_000, true)); // the base, done
        work.Report(new BorgTransfer(2, 1_000, 4_000, false)); // then a tablespace

        var r = work.Read(At0);
        Assert.Equal(7_000, r.Done);
        Assert.Equal(10_000, r.Total);
        Assert.True(work.Active);
    }

    [Fact]
    public void Work_that_Borg_finished_ends_at_its_bytes_and_work_that_stopped_keeps_its_total()
    {
        // Borg counts a symbolic link's target as size in create and not in extract: a restore ends a few bytes short
        var finished = new TransferProgress("restore", 42_994_795);
        finished.Report(new BorgTransfer(1, 42_994_217, 42_994_217, true));
        Assert.Equal(99, (int)(finished.Read(At0).Fraction!.Value * 100));
        finished.End();
        Assert.Equal(new TransferReading(42_994_217, 42_994_217, null, TimeSpan.Zero), finished.Read(At0));

        var stopped = new TransferProgress("restore", 1000);
        stopped.Report(new BorgTransfer(1, 300, 300, true));
        stopped.Report(new BorgTransfer(2, 100, 700, false)); // killed part way: no finished line
        stopped.End();
        Assert.Equal(1000, stopped.Read(At0).Total);
    }

    [Fact]
    public void The_rate_spans_the_recent_window_and_gives_the_time_left()
    {
        var work = new TransferProgress("restore", 1_000_000);
        work.Report(new BorgTransfer(1, 0, null, false));
        Assert.Null(work.Read(TimeSpan.Zero).BytesPerSecond); // nothing to measure a rate over yet

        work.Report(new BorgTransfer(1, 100_000, null, false));
        var r = work.Read(TimeSpan.FromSeconds(10));
        Assert.Equal(10_000, r.BytesPerSecond!.Value, 3);
        Assert.Equal(TimeSpan.FromSeconds(90), r.Remaining);

        // an hour later at a new pace: the window forgets the old one
        work.Report(new BorgTransfer(1, 200_000, null, false));
        work.Read(TimeSpan.FromSeconds(3600));
        work.Report(new BorgTransfer(1, 400_000, null, false));
        Assert.Equal(20_000, work.Read(TimeSpan.FromSeconds(3610)).BytesPerSecond!.Value, 3);

        // readings further apart than the window (plain lines every 30 s) still give a rate, over the last gap
        work.Report(new BorgTransfer(1, 700_000, null, false));
        Assert.Equal(10_000, work.Read(TimeSpan.FromSeconds(3640)).BytesPerSecond!.Value, 3);
    }

    [Fact]
    public void Figures_with_a_total_show_share_rate_and_time_left()
    {
        var r = new TransferReading(1288490189, 10737418240, 89_443_532, TimeSpan.FromSeconds(14));

        Assert.Equal("1.20 GiB of 10.00 GiB (12%), 85.3 MiB/s, 1m46s left", ProgressText.Figures(r));
    }

    [Fact]
    public void Figures_without_a_total_show_bytes_and_rate_and_no_time_left()
    {
        var r = new TransferReading(1288490189, null, 89_443_532, TimeSpan.FromSeconds(14));

        Assert.Null(r.Remaining);
        Assert.Equal("1.20 GiB, 85.3 MiB/s", ProgressText.Figures(r));
    }

    [Fact]
    public void An_estimate_that_was_too_low_caps_at_100_percent_without_time_left()
    {
        var r = new TransferReading(1100, 1000, 50, TimeSpan.FromSeconds(14));

        Assert.Null(r.Remaining);
        Assert.Equal("1.1 KiB of 1000 B (100%), 50 B/s", ProgressText.Figures(r));
    }

    [Fact]
    public void Durations_and_summary_read_like_a_wait()
    {
        Assert.Equal("42s", ProgressText.Duration(TimeSpan.FromSeconds(42)));
        Assert.Equal("3m05s", ProgressText.Duration(TimeSpan.FromSeconds(185)));
        Assert.Equal("2h07m", ProgressText.Duration(TimeSpan.FromMinutes(127)));
        Assert.Equal("10.00 GiB in 2m03s, 83.3 MiB/s on average", ProgressText.Summary(new TransferReading(10737418240, 10737418240, null, TimeSpan.FromSeconds(123))));
    }

    [Fact(Timeout = 30_000)]
    public async Task Plain_lines_come_every_interval_while_Borg_works_and_a_closing_line_at_the_end()
    {
        var lines = new List<string>();
        var display = new ProgressLines(new LineLogger(lines), TimeSpan.FromMilliseconds(50));
        var quiet = display.Track("idle", null); // never reported on: no line
        var work = display.Track("restore of main", 1000);
        work.Report(new BorgTransfer(1, 250, null, false));
        while (Snapshot(lines).Count < 3)
        {
            await Task.Delay(20);
        }
        work.Report(new BorgTransfer(1, 1000, null, true));
        await display.DisposeAsync();

        var all = Snapshot(lines);
        Assert.All(all, l => Assert.StartsWith("restore of main: ", l));
        Assert.Contains(all, l => l.StartsWith("restore of main: 250 B of 1000 B (25%)", StringComparison.Ordinal));
        Assert.StartsWith("restore of main: 1000 B in ", all[^1]);
        Assert.False(quiet.Started);
    }

    [Fact(Timeout = 30_000)]
    public async Task Work_that_ends_within_one_interval_writes_nothing()
    {
        var lines = new List<string>();
        var display = new ProgressLines(new LineLogger(lines), TimeSpan.FromSeconds(30));
        display.Track("extract of db", null).Report(new BorgTransfer(1, 10, 10, true));
        await display.DisposeAsync();

        Assert.Empty(lines);
    }

    [Fact]
    public void The_size_of_a_base_leaves_out_what_the_base_leaves_out()
    {
        var data = Directory.CreateTempSubdirectory("pgborg-size-").FullName;
        var tablespace = Directory.CreateTempSubdirectory("pgborg-size-ts-").FullName;
        try
        {
            void Write(string path, int bytes)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, new byte[bytes]);
            }
            Write(Path.Combine(data, "PG_VERSION"), 3);
            Write(Path.Combine(data, "base", "1", "1259"), 8192);
            Write(Path.Combine(data, "base", "pgsql_tmp", "pgsql_tmp1.0"), 1 << 20);
            Write(Path.Combine(data, "pg_wal", "000000010000000000000001"), 1 << 20);
            Write(Path.Combine(data, "pg_stat_tmp", "global.stat"), 1000);
            Write(Path.Combine(data, "global", "pg_wal", "not-top-level"), 7); // only the top-level pg_wal is left out
            Write(Path.Combine(tablespace, "PG_15_202209061", "16384", "16400"), 16384);
            Directory.CreateDirectory(Path.Combine(data, "pg_tblspc"));
            File.CreateSymbolicLink(Path.Combine(data, "pg_tblspc", "16390"), tablespace);

            Assert.Equal(3 + 8192 + 7 + 16384, BaseBackupSize.Measure(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            Directory.Delete(tablespace, recursive: true);
        }
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    private sealed class LineLogger(List<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (lines)
            {
                lines.Add(formatter(state, exception));
            }
        }
    }
}
