namespace PgBorg.Borg;

/// <summary>
/// One progress report of one Borg process run with <c>--progress</c>, in bytes: what create has read so far
/// (<c>archive_progress</c>'s original_size), or what extract has written out (<c>progress_percent</c>'s current).
/// <see cref="Total"/> is Borg's own total when it has one: extract adds up the items it is going to extract before
/// it starts; create never knows how much is left. <see cref="Operation"/> tells the Borg processes of this program
/// apart (Borg's own operation ids restart in every process), so a consumer can add up several that run one after
/// another (a tablespace, then the data directory) or at once (a parallel extract).
/// </summary>
public readonly record struct BorgTransfer(int Operation, long Done, long? Total, bool Finished);
