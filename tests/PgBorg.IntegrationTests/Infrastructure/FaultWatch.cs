using System.Globalization;
using System.Text.RegularExpressions;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// Samples <c>pgborg status</c> and <c>pgborg metrics</c> every few seconds while a fault lasts and keeps what it saw,
/// so a drill can assert what an operator would have seen during the fault, not only after it.
/// </summary>
public sealed partial class FaultWatch : IAsyncDisposable
{
    /// <summary>One look: status (exit code and text) and the metrics' text.</summary>
    public sealed partial record Sample(DateTime At, RunResult Status, string Metrics)
    {
        public bool Failing => Status.ExitCode == 1;

        /// <summary>The status block of one instance: its header line and the indented lines below it.</summary>
        public string StatusOf(string instance = "main")
        {
            var lines = Status.Stdout.Split('\n');
            var start = Array.FindIndex(lines, l => l.StartsWith(instance + " (", StringComparison.Ordinal));
            return start < 0 ? "" : string.Join('\n', lines.Skip(start).TakeWhile((l, n) => n == 0 || l.StartsWith(' ')));
        }

        /// <summary>The files the instance's spool holds for Borg, per status ("N file(s) waiting").</summary>
        public int SpoolWaiting(string instance = "main") =>
            Waiting().Match(StatusOf(instance)) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

        /// <summary>A metric's value for an instance (its only label), or null when the metrics do not have it.</summary>
        public double? Metric(string name, string instance = "main")
        {
            var m = Regex.Match(Metrics, $"^{Regex.Escape(name)}\\{{instance=\"{Regex.Escape(instance)}\"\\}} (\\S+)$", RegexOptions.Multiline);
            return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }

        [GeneratedRegex(@"(\d+) file\(s\) waiting")]
        private static partial Regex Waiting();

        public override string ToString() => $"at {At:HH:mm:ss}: status {Status}\n--- metrics\n{Metrics}";
    }

    private readonly Sandbox _sandbox;
    private readonly IDictionary<string, string>? _env;
    private readonly TimeSpan _every;
    private readonly List<Sample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts sampling at once, then every <paramref name="every"/> (default 3 s) until stopped.</summary>
    /// <param name="env">The environment of status and metrics (e.g. the daemons' faked clock).</param>
    public FaultWatch(Sandbox sandbox, TimeSpan? every = null, IDictionary<string, string>? env = null)
    {
        _sandbox = sandbox;
        _env = env;
        _every = every ?? TimeSpan.FromSeconds(3);
        _loop = SampleAsync();
    }

    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_samples)
            {
                return _samples.ToList();
            }
        }
    }

    public bool Saw(Func<Sample, bool> what) => Samples.Any(what);

    /// <summary>Fails unless some sample matched, showing the newest sample (what was seen instead).</summary>
    public void AssertSaw(Func<Sample, bool> what, string description)
    {
        var samples = Samples;
        Assert.True(samples.Any(what), $"status and metrics never showed {description} in {samples.Count} samples; the last:\n{samples.LastOrDefault()}");
    }

    /// <summary>Fails if any sample matched, showing the first that did.</summary>
    public void AssertNeverSaw(Func<Sample, bool> what, string description)
    {
        var seen = Samples.FirstOrDefault(what);
        Assert.True(seen is null, $"status and metrics showed {description}:\n{seen}");
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until a sample matches; returns it.</summary>
    public async Task<Sample> WaitForAsync(Func<Sample, bool> what, TimeSpan timeout, string description)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (Samples.FirstOrDefault(what) is { } seen)
            {
                return seen;
            }
            await Task.Delay(200);
        }
        AssertSaw(what, description);
        return null!;
    }

    /// <summary>Waits until <c>pgborg status</c> exits 0 (every instance healthy), at most <paramref name="timeout"/> (default 3 minutes).</summary>
    public static async Task WaitHealthyAsync(Sandbox sandbox, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        RunResult status;
        do
        {
            status = await sandbox.PgBorgAsync(["status"], env);
            if (status.ExitCode == 0)
            {
                return;
            }
            await Task.Delay(2000);
        }
        while (DateTime.UtcNow < until);
        Assert.Fail("status did not become healthy:\n" + status);
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var status = await _sandbox.PgBorgAsync(["status"], _env);
            var metrics = await _sandbox.PgBorgAsync(["metrics"], _env);
            lock (_samples)
            {
                _samples.Add(new Sample(DateTime.UtcNow, status, metrics.Stdout));
            }
            try
            {
                await Task.Delay(_every, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Stops sampling (after the sample under way); returns what was seen.</summary>
    public async Task<IReadOnlyList<Sample>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        return Samples;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
            // the test has failed already or stopped the watch: what a last sample threw does not matter
        }
        _stop.Dispose();
    }
}
