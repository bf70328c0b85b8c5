using PgBorg.Processes;
using PgBorg.Restore;

namespace PgBorg.Tests;

/// <summary>
/// Root's WAL staging root: claiming one area's directory removes what killed extractors left and the lock files of
/// finished ones, and leaves alone what a running extractor holds.
/// </summary>
public sealed class WalStagingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgborg-staging-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Claiming_removes_leftovers_and_finished_locks_but_not_a_running_extractors()
    {
        File.WriteAllText(Path.Combine(_root, "finished.lock"), "");
        Directory.CreateDirectory(Path.Combine(_root, "killed"));
        File.WriteAllText(Path.Combine(_root, "killed", "000000010000000000000001"), "x");
        File.WriteAllText(Path.Combine(_root, "killed.lock"), "");
        using var running = StateLock.Acquire(_root, "running");
        Directory.CreateDirectory(Path.Combine(_root, "running"));
        using var starting = StateLock.Acquire(_root, "starting");

        using var claimed = await WalExtractor.ClaimStagingAsync(Path.Combine(_root, "mine"), CancellationToken.None);

        Assert.Equal(["mine", "mine.lock", "running", "running.lock", "starting.lock"],
            Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
