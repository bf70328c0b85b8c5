namespace PgBorg.Progress;

/// <summary>
/// Where the progress of interactive work goes while it runs: a live bar on a terminal, plain lines otherwise. Always
/// on stderr, never stdout, which carries --json output or a dump. Disposing ends it (and writes any closing line).
/// </summary>
public interface IProgressDisplay : IAsyncDisposable
{
    /// <summary>A piece of work to show once Borg reports on it; pass it to the Borg calls that do the work.</summary>
    /// <param name="total">Bytes known beforehand; null to use Borg's totals, or none.</param>
    TransferProgress Track(string label, long? total);
}
