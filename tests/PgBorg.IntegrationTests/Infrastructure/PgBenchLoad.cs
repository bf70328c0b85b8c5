namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// pgbench writing until the test stops it: runs of a few seconds back to back, each of which must succeed. A test
/// that needs writes during a fault thus waits for the fault, not for a pgbench of a fixed length guessed to outlast it.
/// </summary>
public sealed class PgBenchLoad
{
    private static readonly TimeSpan RunLength = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<List<RunResult>> _runs;

    private PgBenchLoad(PostgresCluster cluster, int rate) => _runs = Task.Run(() => LoopAsync(cluster, rate));

    /// <summary>Starts writing at <paramref name="rate"/> transactions a second.</summary>
    public static PgBenchLoad Start(PostgresCluster cluster, int rate = 20) => new(cluster, rate);

    private async Task<List<RunResult>> LoopAsync(PostgresCluster cluster, int rate)
    {
        var results = new List<RunResult>();
        do
        {
            results.Add(await PgBench.StartAsync(cluster, RunLength, rate));
        }
        while (!_stop.IsCancellationRequested && results[^1].ExitCode == 0);
        return results;
    }

    /// <summary>Stops after the current run (a few seconds); requires every run to have succeeded.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        var results = await _runs;
        _stop.Dispose();
        Assert.True(results.All(r => r.ExitCode == 0), $"pgbench failed after {results.Count - 1} good runs: {results[^1]}");
    }
}
