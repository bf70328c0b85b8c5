namespace PgBorg.Snapshots;

/// <summary>
/// Which Borg <c>--files-cache</c> mode each snapshot method allows, and why. The files cache lets a base skip reading
/// and hashing a file whose key matches the previous base's (the chunks it had are referenced again, so the archive is
/// still complete). A wrong match stores an old version of a changed file: a base that restores to garbage. So a method
/// gets a mode only where a change of content always changes the key.
/// <para>
/// What Borg 1.2.4 does (src/borg/cache.py, archive.py at tag 1.2.4):
/// <list type="bullet">
/// <item>key = <c>id_hash(os.path.join(os.getcwd(), path))</c>: the real absolute path (<c>process_file</c>), hence
/// <see cref="SnapshotNames.SiblingOf"/> gives the same snapshot path every time;</item>
/// <item><c>file_known_and_unchanged</c> compares, per mode, size (<c>s</c>), inode (<c>i</c>) and ctime (<c>c</c>)
/// or mtime (<c>m</c>) in nanoseconds with the entry; the stat it memorizes is the <c>fstat</c> taken before reading;</item>
/// <item>a file whose ctime changed while it was read (status <c>C</c>) is not memorized;</item>
/// <item><c>commit</c> keeps an entry seen in this run only if its c/mtime is <em>older than the newest c/mtime
/// memorized in this run</em> ("to avoid issues with filesystem snapshots and cmtime granularity"). That is the
/// only timestamp guard: it is relative to the files read, not to when the backup started.</item>
/// </list>
/// Timestamps come from the kernel's coarse clock: every write in one tick (here 4 ms, HZ=250) gets the same c/mtime,
/// so "key unchanged" only proves "no write in a later tick".
/// </para>
/// </summary>
public static class FilesCacheModes
{
    /// <summary>
    /// A read-only btrfs snapshot keeps every inode's number and ctime (tried: <c>stat</c> of a file and of its
    /// snapshot give the same st_ino and st_ctime; only st_dev differs, which Borg does not compare) and is atomic.
    /// Every file in it has a ctime at or before the snapshot's tick T; Borg keeps only entries strictly older than
    /// the newest memorized ctime, so every kept entry's ctime lies in a tick before T, and any later write, chmod,
    /// rename or replacement of the file gets a ctime of T or later: a different key. Nobody can set a ctime (unlike
    /// an mtime). Borg's default mode.
    /// </summary>
    public const string Btrfs = "ctime,size,inode";

    /// <summary>
    /// <c>cp -a --reflink</c> makes new inodes with the copy's time as ctime (tried on XFS): neither inode nor ctime
    /// survives into the next copy, and the mtime that <c>-a</c> keeps can be set back by anyone (<c>touch -d</c>,
    /// <c>rsync -a</c>), so it is no key on its own. <see cref="ReflinkCacheKeys"/> therefore writes into each copied
    /// file's mtime the ctime its original had <em>after</em> the copy was made (or, for a file that changed within a
    /// margin of the copy's start, a time after the copy, which Borg never remembers), and Borg compares mtime and size.
    /// </summary>
    public const string Reflink = "mtime,size";

    /// <summary>
    /// None. Borg reads the live directory while PostgreSQL writes it. A page written in the same timestamp tick
    /// just after Borg's final fstat of that file leaves ctime, size and inode as Borg memorized them; Borg keeps the
    /// entry because later files of the run are newer, and the next base would skip the file. That write predates the
    /// next base's start LSN, so WAL replay of the next base would not repair it. Every byte is read instead.
    /// </summary>
    public const string? Direct = null;
}
