using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// pgcad's expiry against a real cluster: whole cycles only, keep_cycles and keep_within, compaction owed from before a
/// restart, and an append-only repository. (Apart from ArchivingTests so that the two classes, whose tests each run one
/// after another, can run beside each other.)
/// </summary>
public sealed class CycleExpiryTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.StartAsync(PostgresCluster.ArchivingConf + "max_wal_size = 256MB\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private Task<string> SwitchAndWaitAsync() => _cluster.SwitchAndWaitArchivedAsync();

    [Fact(Timeout = 300_000)]
    public async Task Expiry_deletes_whole_old_cycles_but_never_the_newest()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster, extraArchive: "keep_cycles = 1\nkeep_within = \"0s\""));
        await _sandbox.PgcadOnceAsync();
        await _sandbox.PgcadOnceAsync("--new-cycle");
        var r = await _sandbox.PgcadOnceAsync("--new-cycle");
        Assert.Contains("expired cycle", r.Stderr);
        var cycles = await new ArchiveInspector(_sandbox).CyclesAsync();
        var withBase = Assert.Single(cycles, c => c.Base is not null);
        Assert.All(cycles, c => Assert.Equal(withBase.Stamp, c.Stamp)); // no orphan WAL of expired cycles
    }

    [Fact(Timeout = 300_000)]
    public async Task The_first_expiry_of_a_process_compacts_deletions_made_before_a_restart()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster, extraArchive: "keep_cycles = 2\nkeep_within = \"0s\""));
        await _sandbox.PgcadOnceAsync();
        // 32 MB that only the first cycle's WAL holds (random hex, stored uncompressed by PostgreSQL, hardly by lz4)
        await _cluster.SqlAsync("CREATE TABLE doomed (t text); ALTER TABLE doomed ALTER t SET STORAGE EXTERNAL; "
            + "INSERT INTO doomed SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 1000000) g GROUP BY g % 64");
        await SwitchAndWaitAsync();
        await _sandbox.PgcadOnceAsync();
        await _cluster.SqlAsync("DROP TABLE doomed");
        await _sandbox.PgcadOnceAsync("--new-cycle");

        // the first cycle is deleted as an expiry does it, then the process dies before borg compact
        var first = (await new ArchiveInspector(_sandbox).CyclesAsync())[0].Stamp;
        var names = (await _sandbox.ArchiveNamesAsync()).Where(n => n.EndsWith("~" + first, StringComparison.Ordinal)).ToList();
        var deleted = await _sandbox.BorgAsync(["delete", .. names.Take(1).Select(n => "::" + n), .. names.Skip(1)]);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        var before = _sandbox.RepositoryBytes();

        var r = await _sandbox.PgcadOnceAsync();
        var after = _sandbox.RepositoryBytes();
        Assert.True(before - after > 20L << 20, $"the repository went from {before} to {after} bytes");
        Assert.Contains("compacting", r.Stderr);
    }

    [Fact(Timeout = 300_000)]
    public async Task Keep_within_also_keeps_the_newest_base_that_ended_before_the_window()
    {
        // A, then B; then C with a window that B's end falls just outside of: restoring to a moment early in the
        // window needs B (and its WAL), so only A may go
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster, extraArchive: "keep_cycles = 1\nkeep_within = \"1h\""));
        await _sandbox.PgcadOnceAsync();
        await _sandbox.PgcadOnceAsync("--new-cycle");
        var cycles = (await new ArchiveInspector(_sandbox).CyclesAsync()).Where(c => c.Base is not null).Select(c => c.Stamp).ToList();
        Assert.Equal(2, cycles.Count);
        // C's round retires B's spool (drain, consolidation) before it expires: C's end must stay inside the window
        await Task.Delay(20_000);
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster, extraArchive: "keep_cycles = 1\nkeep_within = \"15s\""));
        var r = await _sandbox.PgcadOnceAsync("--new-cycle");
        var kept = (await new ArchiveInspector(_sandbox).CyclesAsync()).Select(c => c.Stamp).Distinct().ToList();
        Assert.True(kept.Count == 2 && kept[0] == cycles[1] && !kept.Contains(cycles[0]), $"kept {string.Join(", ", kept)} of {string.Join(", ", cycles)} and a new one:\n{r.Stderr}");
    }

    [Fact(Timeout = 300_000)]
    public async Task An_append_only_repository_is_reported_not_treated_as_a_failure()
    {
        _sandbox.WriteConfig(_sandbox.ArchiveConfig(_cluster, extraArchive: "keep_cycles = 1\nkeep_within = \"0s\""));
        await _sandbox.PgcadOnceAsync();
        var config = await _sandbox.BorgAsync("config", _sandbox.Repository, "append_only", "1");
        Assert.True(config.ExitCode == 0, config.ToString());
        var r = await _sandbox.PgcadOnceAsync("--new-cycle");
        Assert.Contains("append-only", r.Stderr);
    }
}
