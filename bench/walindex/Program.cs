// Usage: WalIndexCost DIR MAJOR [ROUNDS] — indexes every file of DIR as ingest does (pg_waldump of PostgreSQL 15's bin
// directory, run as the files' owner; MAJOR < 15 reads unfiltered as for PostgreSQL 13 and 14) and prints the time
// per segment of the best and the median round.
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Archiving;
using PgBorg.PostgreSql;
using PgBorg.Processes;

var dir = args[0];
var major = int.Parse(args[1], CultureInfo.InvariantCulture);
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var files = Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();
var user = OsUser.Find("postgres") ?? throw new InvalidOperationException("no user postgres");
var instance = new PgInstance("bench", dir, 5432, "/tmp", user, "/usr/lib/postgresql/15/bin", major, "bench");
var times = new List<double>();
Dictionary<string, WalSegmentIndex> index = [];
for (var r = 0; r < rounds; r++)
{
    var sw = Stopwatch.StartNew();
    index = await new WalIndexer(instance, NullLogger.Instance).IndexAsync(dir, files, CancellationToken.None);
    times.Add(sw.Elapsed.TotalMilliseconds / files.Count);
}
times.Sort();
var commits = index.Values.Count(e => e.LastCommit is not null);
var points = index.Values.Sum(e => e.RestorePoints?.Count ?? 0);
var unread = index.Values.Count(e => e.Unread is not null);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{files.Count} segments, major {major}: {times[0]:0.0} ms per segment (best of {rounds}), median {times[rounds / 2]:0.0} ms; "
    + $"{commits} with commits, {points} restore points, {unread} unread"));
