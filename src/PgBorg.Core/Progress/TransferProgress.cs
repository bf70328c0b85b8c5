using PgBorg.Borg;

namespace PgBorg.Progress;

/// <summary>
/// One piece of work an operator waits for (a restore, a base backup, a dump's extract), as Borg reports it: the bytes
/// of every Borg process that reports here, added up, and a rate over the last <see cref="RateWindow"/>. The total is
/// the one known beforehand (the base's size in its metadata, the measured data directory) or else the sum of Borg's
/// own totals once every process has one; without either it stays unknown, and so does the time left.
/// </summary>
public sealed class TransferProgress(string label, long? knownTotal) : IProgress<BorgTransfer>
{
    /// <summary>
    /// How far back the rate looks: long enough to even out Borg's bursts (extract reports per chunk, every 0.1 %),
    /// short enough that the time left follows a change of pace (cached data, then cold disks).
    /// </summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(20);

    private readonly Dictionary<int, BorgTransfer> _operations = [];
    private readonly Queue<(TimeSpan At, long Done)> _samples = new();
    private TimeSpan? _startedAt;
    private bool _ended;

    public string Label => label;

    /// <summary>Borg has reported at least once: there is something to show.</summary>
    public bool Started
    {
        get
        {
            lock (_operations)
            {
                return _operations.Count > 0;
            }
        }
    }

    /// <summary>A Borg process that reports here is still running (a plain line now says something new).</summary>
    public bool Active
    {
        get
        {
            lock (_operations)
            {
                return _operations.Values.Any(o => !o.Finished);
            }
        }
    }

    public void Report(BorgTransfer value)
    {
        lock (_operations)
        {
            _operations[value.Operation] = value;
        }
    }

    /// <summary>
    /// The display ends. If every Borg process said it finished, what they did is all there was, and the total becomes
    /// that: a total known beforehand is near, not exact (Borg counts a symbolic link's target as size when it creates
    /// an archive and not when it extracts it; a measured data directory changes), and a finished restore should not
    /// end at 99 %. Work that stopped part way keeps its total.
    /// </summary>
    public void End()
    {
        lock (_operations)
        {
            _ended = _operations.Count > 0 && _operations.Values.All(o => o.Finished);
        }
    }

    /// <summary>The figures now; <paramref name="now"/> is any monotonic clock (the display's), sampled for the rate.</summary>
    public TransferReading Read(TimeSpan now)
    {
        long done;
        long? total;
        lock (_operations)
        {
            done = _operations.Values.Sum(o => o.Done);
            total = _ended ? done
                : knownTotal ?? (_operations.Count > 0 && _operations.Values.All(o => o.Total is not null) ? _operations.Values.Sum(o => o.Total!.Value) : null);
            _startedAt ??= now;
            _samples.Enqueue((now, done));
            // forget samples older than the window, but keep one before this reading however old (readings every
            // 30 s for plain lines are further apart than the window)
            while (_samples.Count > 2 && now - _samples.Peek().At > RateWindow)
            {
                _samples.Dequeue();
            }
        }
        var (firstAt, firstDone) = _samples.Peek();
        var span = (now - firstAt).TotalSeconds;
        // under a second of samples says little; no rate (and no time left) rather than a wild one
        double? rate = span >= 1 ? Math.Max(0, done - firstDone) / span : null;
        return new TransferReading(done, total, rate, now - _startedAt.Value);
    }
}
