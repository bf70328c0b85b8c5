namespace PgBorg.Borg;

/// <summary>
/// One more file for a <c>borg create</c> of paths, stored at the archive's root under <paramref name="Name"/> (owner
/// <paramref name="Owner"/>, mode 0600), whose content is known only once Borg has read every path: a base's
/// <c>backup_label</c>, which pg_backup_stop returns after Borg has read the live data directory. Borg 1.2 reads the
/// paths in the order given and stdin (<c>-</c>, named by <c>--stdin-name</c>) after them; it reports the stdin file
/// (status <c>i</c>, with <c>--list --filter i</c>) just before it starts reading it, which is when
/// <paramref name="Content"/> is called. Borg's patterns do not apply to it.
/// </summary>
/// <param name="Content">The file's bytes. If it throws, Borg is stopped before it stores anything.</param>
public sealed record BorgLateFile(string Name, string Owner, Func<CancellationToken, Task<byte[]>> Content);
