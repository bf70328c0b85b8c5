using System.Globalization;
using System.Text.Json.Serialization;

namespace PgBorg.Verify;

/// <summary>What verify found for one instance; <see cref="Ok"/> only when there is no problem.</summary>
public sealed record VerifyReport(
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("cycles")] List<string> Cycles,
    [property: JsonPropertyName("problems")] List<VerifyProblem> Problems,
    [property: JsonPropertyName("notes")] List<string> Notes,
    [property: JsonPropertyName("archivesRead")] int? ArchivesRead,
    [property: JsonPropertyName("restore")] RestoreTestResult? Restore,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    [JsonPropertyName("ok")]
    public bool Ok => Problems.Count == 0;

    /// <summary>One line per problem (what scripts and the journal match), then the notes and a summary.</summary>
    public void Print(TextWriter output)
    {
        foreach (var p in Problems)
        {
            output.WriteLine(p.Line);
        }
        foreach (var n in Notes)
        {
            output.WriteLine($"note: {n}");
        }
        if (Restore is { Ok: true } r)
        {
            var times = string.Create(CultureInfo.InvariantCulture, $"restored in {r.RestoreSeconds:0.0} s, WAL replayed in {r.ReplaySeconds:0.0} s");
            var to = r.RestoredTo is null ? " (no transaction replayed)" : $", last transaction {r.RestoredTo}";
            output.WriteLine($"cycle {r.Cycle}: restore test passed: {times} to LSN {r.ReplayLsn}{to}; pg_amcheck found no corruption in {r.DatabasesChecked} database(s)");
        }
        var what = Restore is not null ? "restore test"
            : ArchivesRead is { } read ? $"{Cycles.Count} cycle(s), {read} archive(s) read back"
            : $"{Cycles.Count} cycle(s)";
        var verdict = Ok ? "all holds" : $"{Problems.Count} problem(s)";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verify {Instance}: {what}, {verdict} ({Seconds:0.0} s)"));
    }
}
