namespace PgBorg.Snapshots;

/// <summary>A snapshot could not be taken or released. The message says what and why, in an administrator's words.</summary>
public sealed class SnapshotException : Exception
{
    public SnapshotException(string message)
        : base(message)
    {
    }

    public SnapshotException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
