using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace PgBorg.Systemd;

/// <summary>
/// sd_notify for the daemons, through Microsoft.Extensions.Hosting.Systemd's notifier: READY=1, STATUS=, STOPPING=1,
/// and WATCHDOG=1 every half of WATCHDOG_USEC — but only while the daemon shows progress (a heartbeat within the
/// watchdog period), so a hung round is restarted by systemd instead of being kept alive by a timer.
/// </summary>
public sealed class ServiceNotifier : IAsyncDisposable
{
    private readonly SystemdNotifier _notifier = new();
    private readonly TimeSpan? _watchdog;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pinger;
    private long _lastBeatTicks = Environment.TickCount64;

    public ServiceNotifier()
    {
        if (_notifier.IsEnabled
            && long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec)
            && usec > 0)
        {
            _watchdog = TimeSpan.FromMicroseconds(usec);
        }
        _pinger = _watchdog is { } period ? Task.Run(() => PingAsync(period)) : Task.CompletedTask;
    }

    public bool IsEnabled => _notifier.IsEnabled;

    public void Ready() => Send("READY=1");

    public void Status(string status) => Send("STATUS=" + status.Replace('\n', ' '));

    public void Stopping() => Send("STOPPING=1");

    /// <summary>Progress was made: the watchdog may be fed.</summary>
    public void Heartbeat() => Interlocked.Exchange(ref _lastBeatTicks, Environment.TickCount64);

    private void Send(string state)
    {
        if (_notifier.IsEnabled)
        {
            _notifier.Notify(new ServiceState(state));
        }
    }

    private async Task PingAsync(TimeSpan period)
    {
        using var timer = new PeriodicTimer(period / 2);
        try
        {
            do
            {
                var since = TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastBeatTicks));
                if (since < period)
                {
                    Send("WATCHDOG=1");
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pinger.ConfigureAwait(false);
        _stop.Dispose();
    }
}
