using System.Globalization;

namespace PgBorg.Dumps;

/// <summary>
/// Borg's prune rules (keep-within, then hourly/daily/weekly/monthly/yearly, newest first, one per period, the oldest
/// kept when a rule runs short), applied here to every database at once so a round costs one <c>borg delete</c>
/// instead of one <c>borg prune</c> per database. Periods are UTC, as Borg's are with TZ=UTC.
/// </summary>
public static class DumpPruner
{
    public sealed record Rules(TimeSpan KeepWithin, int Hourly, int Daily, int Weekly, int Monthly, int Yearly)
    {
        public bool KeepsEverything => KeepWithin <= TimeSpan.Zero && Hourly + Daily + Weekly + Monthly + Yearly == 0;
    }

    /// <summary>The archives of one series (one database, or the globals) that the rules do not keep.</summary>
    public static IReadOnlyList<T> ToDelete<T>(IReadOnlyList<T> series, Func<T, DateTimeOffset> time, Rules rules, DateTimeOffset now)
    {
        if (rules.KeepsEverything || series.Count == 0)
        {
            return [];
        }
        var newestFirst = series.OrderByDescending(time).ToList();
        var kept = new HashSet<int>();
        if (rules.KeepWithin > TimeSpan.Zero)
        {
            for (var i = 0; i < newestFirst.Count; i++)
            {
                if (time(newestFirst[i]) > now - rules.KeepWithin)
                {
                    kept.Add(i);
                }
            }
        }
        Split(newestFirst, time, kept, rules.Hourly, t => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture));
        Split(newestFirst, time, kept, rules.Daily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Split(newestFirst, time, kept, rules.Weekly, t => $"{ISOWeek.GetYear(t.UtcDateTime)}-{ISOWeek.GetWeekOfYear(t.UtcDateTime):D2}");
        Split(newestFirst, time, kept, rules.Monthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture));
        Split(newestFirst, time, kept, rules.Yearly, t => t.ToString("yyyy", CultureInfo.InvariantCulture));
        return newestFirst.Where((_, i) => !kept.Contains(i)).ToList();
    }

    private static void Split<T>(List<T> newestFirst, Func<T, DateTimeOffset> time, HashSet<int> kept, int count, Func<DateTimeOffset, string> period)
    {
        if (count <= 0)
        {
            return;
        }
        string? last = null;
        var keptHere = 0;
        for (var i = 0; i < newestFirst.Count; i++)
        {
            var p = period(time(newestFirst[i]).ToUniversalTime());
            if (p == last)
            {
                continue;
            }
            last = p;
            if (kept.Add(i) && ++keptHere == count)
            {
                return;
            }
        }
        // like Borg: a rule that runs short keeps the oldest archive too
        if (newestFirst.Count > 0 && keptHere < count)
        {
            kept.Add(newestFirst.Count - 1);
        }
    }
}
