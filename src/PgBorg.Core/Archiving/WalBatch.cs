namespace PgBorg.Archiving;

/// <summary>
/// One WAL archive of a cycle: a batch of spooled files, or a window's batches consolidated into one.
/// <paramref name="InWalRepository"/> is false only for WAL archived before WAL had a repository of its own.
/// </summary>
public sealed record WalBatch(string Archive, WalBatchMetadata? Metadata, bool InWalRepository = true)
{
    public IReadOnlyList<string> Files => Metadata?.Files ?? [];
}
