using System.Globalization;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// A cluster whose transaction epoch is 1 (pg_resetwal -e 1 before archiving): its transaction ids have a 32-bit
/// form (server logs, pg_waldump) and a larger epoch-qualified one (pg_current_xact_id()); marker rows committed one
/// by one, each with both forms of its transaction id.
/// </summary>
public sealed class RestoreXidEpochFixture : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;
    public Sandbox Sandbox { get; } = new();
    public Dictionary<int, (string Xid32, string Xid64)> Markers { get; } = [];

    public async ValueTask InitializeAsync()
    {
        Cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf);
        await Cluster.SetTransactionEpochAsync(1);
        await Cluster.SqlAsync("CREATE DATABASE epoch");
        await Cluster.SqlAsync("CREATE TABLE markers (id int PRIMARY KEY)", "epoch");
        Sandbox.WriteConfig(Sandbox.ArchiveConfig(Cluster));
        await PgcadOnceAsync();
        for (var id = 1; id <= 4; id++)
        {
            var xids = (await Cluster.SqlAsync($"INSERT INTO markers VALUES ({id}) RETURNING pg_current_xact_id()::xid::text || ' ' || pg_current_xact_id()::text", "epoch")).Split('\n')[0].Split(' ');
            Markers[id] = (xids[0], xids[1]);
        }
        await Cluster.SwitchAndWaitArchivedAsync();
        await PgcadOnceAsync();
    }

    private async Task PgcadOnceAsync()
    {
        var r = await Sandbox.PgBorgAsync(["pgcad", "--once"], null, timeout: TimeSpan.FromMinutes(4));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException(r.ToString());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Sandbox.Dispose();
    }
}

public sealed class RestoreXidEpochTests(RestoreXidEpochFixture f) : IClassFixture<RestoreXidEpochFixture>
{
    private static int _port = 50000 + Environment.ProcessId % 1000 * 10;

    private async Task RestoreAndCheckAsync(string xid, int expectedLast)
    {
        using var dir = new TempDir("pgborg-restore");
        var data = Path.Combine(dir.Path, "data");
        var r = await f.Sandbox.PgBorgAsync(["pgcarestore", "restore", "--xid", xid, "--target-dir", data, "--target-action", "promote"], null, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        await using var server = await RestoredServer.StartAsync(data, Interlocked.Increment(ref _port));
        await server.WaitPromotedAsync();
        Assert.Equal(string.Join(',', Enumerable.Range(1, expectedLast)),
            await server.SqlAsync("SELECT string_agg(id::text, ',' ORDER BY id) FROM markers", "epoch"));
    }

    [Fact(Timeout = 300_000)]
    public async Task In_epoch_1_the_32_bit_transaction_id_of_server_logs_restores_up_to_its_commit()
    {
        Assert.True(ulong.Parse(f.Markers[2].Xid64, CultureInfo.InvariantCulture) > uint.MaxValue, $"epoch 1: {f.Markers[2].Xid64}");
        Assert.NotEqual(f.Markers[2].Xid64, f.Markers[2].Xid32);
        await RestoreAndCheckAsync(f.Markers[2].Xid32, 2);
    }

    [Fact(Timeout = 300_000)]
    public Task In_epoch_1_the_epoch_qualified_transaction_id_restores_up_to_its_commit() => RestoreAndCheckAsync(f.Markers[3].Xid64, 3);
}
