namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A class fixture: one <see cref="ArchivedWorkload"/> in a sandbox, shared by the tests of a class that read the
/// archive and restore it, each into a directory of its own. Archiving it once instead of once per test saves a
/// cluster, a base and a dozen ingested segments per test. The cluster is stopped once its WAL is in Borg: the
/// tests restore from Borg, and a server left running would only compete for the suite's two cores.
/// </summary>
public sealed class ArchivedSandbox : IAsyncLifetime
{
    /// <summary>WAL switches of the workload: enough segments for batches, read-ahead and prefetching to matter.</summary>
    private const int Switches = 12;

    private PostgresCluster? _cluster;

    public Sandbox Sandbox { get; } = new();

    /// <summary>The archived cluster, stopped (its data directory is the configuration's instance).</summary>
    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("the fixture is not initialised");

    /// <summary>The archived WAL segments (no history files), oldest first.</summary>
    public IReadOnlyList<string> Segments { get; private set; } = [];

    /// <summary>Rows in table <c>t</c> when the workload ended.</summary>
    public int Rows => 1000 * (Switches + 1);

    public async ValueTask InitializeAsync()
    {
        try
        {
            _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
            await ArchivedWorkload.CreateAsync(_cluster, Sandbox, Switches);
            await _cluster.StopAsync();
            Segments = (await new ArchiveInspector(Sandbox).CyclesAsync()).SelectMany(c => c.WalFiles).Where(f => f.Length == 24)
                .Order(StringComparer.Ordinal).ToList();
            Assert.True(Segments.Count >= Switches, string.Join(" ", Segments));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A sandbox of its own holding a copy of both repositories, for a test that changes what is stored: the shared
    /// repositories stay as the other tests expect them. The copy has its own state directory (and Borg cache).
    /// </summary>
    public async Task<Sandbox> CopyAsync()
    {
        var copy = new Sandbox();
        try
        {
            await Run.CheckedAsync("/bin/cp", "-a", "--", Sandbox.Repository, copy.Repository);
            await Run.CheckedAsync("/bin/cp", "-a", "--", Sandbox.WalRepository, copy.WalRepository);
            copy.WriteConfig(copy.ArchiveConfig(Cluster));
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        Sandbox.Dispose();
    }
}
