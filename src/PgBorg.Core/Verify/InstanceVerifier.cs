using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgBorg.Archiving;
using PgBorg.PostgreSql;

namespace PgBorg.Verify;

/// <summary>One instance's verify: the metadata checks (and, with <c>--data</c>, reading every archive back), or the restore test.</summary>
public sealed class InstanceVerifier(ArchiveRepositories repos, PgInstance instance, string host, string binary, ILogger log)
{
    public async Task<VerifyReport> CheckAsync(bool readData, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var cycles = await repos.CyclesAsync(host, instance.Name, ct).ConfigureAwait(false);
        var findings = CycleVerifier.Check(cycles);
        int? read = readData ? await ArchiveReadBack.RunAsync(repos, instance.Name, cycles, findings, log, ct).ConfigureAwait(false) : null;
        return new VerifyReport(instance.Name, cycles.Select(c => c.Stamp).ToList(), findings.Problems, findings.Notes, read, null, clock.Elapsed.TotalSeconds);
    }

    /// <param name="stamp">The cycle to restore; null for the newest complete one.</param>
    public async Task<VerifyReport> RestoreAsync(string? stamp, string scratchParent, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var cycles = await repos.CyclesAsync(host, instance.Name, ct).ConfigureAwait(false);
        var cycle = RestoreTest.Choose(cycles, stamp);
        var result = await new RestoreTest(repos, instance, binary, log).RunAsync(cycle, scratchParent, ct).ConfigureAwait(false);
        List<VerifyProblem> problems = result.Ok ? [] : [VerifyProblem.Of(cycle.Stamp, $"restore test failed: {result.Failure}")];
        return new VerifyReport(instance.Name, [cycle.Stamp], problems, [], null, result, clock.Elapsed.TotalSeconds);
    }
}
