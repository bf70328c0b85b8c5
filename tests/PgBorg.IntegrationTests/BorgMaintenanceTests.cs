using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>Borg's long maintenance calls (delete, compact, recreate) against a real repository.</summary>
public sealed class BorgMaintenanceTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly BorgRepository _repo;

    public BorgMaintenanceTests()
    {
        var settings = new RepositorySettings(_sandbox.Repository, Sandbox.Passphrase, null, new Dictionary<string, string>(),
            TimeSpan.FromMinutes(1), "lz4", null);
        _repo = new BorgRepository(settings, _sandbox.StateDirectory, NullLogger.Instance);
    }

    public void Dispose() => _sandbox.Dispose();

    private async Task CreateAsync(params string[] names)
    {
        var data = _sandbox.Sub("data");
        Directory.CreateDirectory(data);
        foreach (var name in names)
        {
            await File.WriteAllBytesAsync(Path.Combine(data, "f"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 << 20));
            await _repo.CreateFromPathsAsync(name, data, ["f"], "{}", CancellationToken.None);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Delete_compact_and_recreate_report_that_Borg_is_alive_so_the_watchdog_is_fed()
    {
        await _repo.EnsureInitialisedAsync(CancellationToken.None);
        await CreateAsync("a", "b", "c");
        int deleting = 0, compacting = 0, recreating = 0;
        await _repo.DeleteAsync(["a", "b"], CancellationToken.None, () => Interlocked.Increment(ref deleting));
        await _repo.CompactAsync(CancellationToken.None, () => Interlocked.Increment(ref compacting));
        await _repo.SetCommentAsync("c", "{\"x\":1}", CancellationToken.None, () => Interlocked.Increment(ref recreating));
        Assert.True(deleting >= 2, $"{deleting} progress calls while deleting two archives");
        Assert.True(compacting >= 2, $"{compacting} progress calls while compacting");
        Assert.True(recreating >= 1, $"{recreating} progress calls while recreating");
        Assert.Equal(["c"], await _sandbox.ArchiveNamesAsync());
    }

    [Fact(Timeout = 600_000)]
    public async Task Deleting_more_names_than_one_command_line_holds_works()
    {
        await _repo.EnsureInitialisedAsync(CancellationToken.None);
        await CreateAsync("first", "last", "kept");
        // 12,000 names of 250 characters: 3 MB of arguments, more than Linux takes for one program (2 MB)
        var missing = Enumerable.Range(0, 12_000).Select(i => $"gone-{i:D5}-" + new string('x', 239));
        await _repo.DeleteAsync(["first", .. missing, "last"], CancellationToken.None);
        Assert.Equal(["kept"], await _sandbox.ArchiveNamesAsync());
    }
}
