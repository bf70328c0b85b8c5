namespace PgBorg.Archiving;

/// <summary>
/// One writer at a time per repository, among pgcad's instances: Borg allows one anyway, and taking turns here is
/// better than timing out on Borg's lock. An instance holds its WAL repository's gate for WAL work and its archive
/// repository's gate for bases and expiry, never one while waiting for the other, so ingest never waits for a base.
/// </summary>
public sealed class RepositoryGates(SemaphoreSlim archive, SemaphoreSlim wal)
{
    public Task WithArchiveAsync(Func<Task> work, CancellationToken ct) => WithAsync(archive, async () => { await work().ConfigureAwait(false); return 0; }, ct);

    public Task<T> WithArchiveAsync<T>(Func<Task<T>> work, CancellationToken ct) => WithAsync(archive, work, ct);

    public Task WithWalAsync(Func<Task> work, CancellationToken ct) => WithAsync(wal, async () => { await work().ConfigureAwait(false); return 0; }, ct);

    public Task<T> WithWalAsync<T>(Func<Task<T>> work, CancellationToken ct) => WithAsync(wal, work, ct);

    private static async Task<T> WithAsync<T>(SemaphoreSlim gate, Func<Task<T>> work, CancellationToken ct)
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
