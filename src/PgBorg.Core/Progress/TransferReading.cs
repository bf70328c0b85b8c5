namespace PgBorg.Progress;

/// <summary>What <see cref="TransferProgress"/> shows at one moment. Null means unknown, and is shown as such.</summary>
/// <param name="Elapsed">Since the display first read this work.</param>
public readonly record struct TransferReading(long Done, long? Total, double? BytesPerSecond, TimeSpan Elapsed)
{
    /// <summary>0 to 1; a total measured beforehand can be passed (a file grew meanwhile), so it is capped.</summary>
    public double? Fraction => Total is > 0 and var t ? Math.Min(1.0, Done / (double)t) : null;

    /// <summary>Only with a total not yet reached and a rate above nothing: an estimate, never a guess from nothing.</summary>
    public TimeSpan? Remaining => Total is { } t && t > Done && BytesPerSecond is > 0 and var r
        ? TimeSpan.FromSeconds(Math.Min((t - Done) / r, TimeSpan.FromDays(365).TotalSeconds))
        : null;
}
