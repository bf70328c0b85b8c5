using PgBorg.Naming;

namespace PgBorg.Archiving;

/// <summary>
/// One WAL archive of a cycle: a batch of spooled files, or a window's batches consolidated into one.
/// <paramref name="InWalRepository"/> is false only for WAL archived before WAL had a repository of its own.
/// </summary>
public sealed record WalBatch(string Archive, WalBatchMetadata? Metadata, bool InWalRepository = true)
{
    /// <summary>The batch's files, from its comment; none when the comment was not read (or not understood).</summary>
    public IReadOnlyList<string> Files => Metadata?.Files ?? [];

    /// <summary>The batch's first file: from the comment, else from the name (<c>…~wal~FIRST~LAST~CYCLE</c>), for ordering.</summary>
    public string? FirstFile => Files.Count > 0 ? Files[0]
        : ArchiveName.TryParse(Archive, out var n) && n.BareKind == ArchiveName.WalKind ? n.Fields[0] : null;
}
