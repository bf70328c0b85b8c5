using System.Globalization;
using PgBorg.Borg;

namespace PgBorg.Progress;

/// <summary>The words of progress, the same in a plain line and beside the terminal's bar.</summary>
public static class ProgressText
{
    /// <summary>
    /// "1.20 GiB of 10.00 GiB (12%), 85.3 MiB/s, 1m45s left"; without a total "1.20 GiB, 85.3 MiB/s" (no percentage,
    /// no time left: there is nothing honest to base them on); without a rate yet no rate.
    /// </summary>
    public static string Figures(TransferReading r)
    {
        var text = BorgRepository.FormatBytes(r.Done);
        if (r.Total is { } total)
        {
            text += $" of {BorgRepository.FormatBytes(total)} ({Math.Floor(r.Fraction!.Value * 100).ToString("0", CultureInfo.InvariantCulture)}%)";
        }
        if (r.BytesPerSecond is { } rate)
        {
            text += $", {BorgRepository.FormatBytes((long)rate)}/s";
        }
        if (r.Remaining is { } left)
        {
            text += $", {Duration(left)} left";
        }
        return text;
    }

    /// <summary>The closing line of a plain display: "10.00 GiB in 2m03s, 83.0 MiB/s on average".</summary>
    public static string Summary(TransferReading r)
    {
        var text = $"{BorgRepository.FormatBytes(r.Done)} in {Duration(r.Elapsed)}";
        return r.Elapsed.TotalSeconds >= 1 ? text + $", {BorgRepository.FormatBytes((long)(r.Done / r.Elapsed.TotalSeconds))}/s on average" : text;
    }

    /// <summary>"42s", "3m05s", "2h07m": the two largest units, enough for a wait.</summary>
    public static string Duration(TimeSpan t)
    {
        var s = (long)Math.Round(t.TotalSeconds);
        return s switch
        {
            < 60 => $"{s}s",
            < 3600 => $"{s / 60}m{s % 60:00}s",
            _ => $"{s / 3600}h{s / 60 % 60:00}m",
        };
    }
}
