namespace PgBorg.Snapshots;

/// <summary>A line of /proc/self/mountinfo: where a filesystem is mounted, its device (major:minor) and type.</summary>
/// <remarks>For btrfs the device is that of the whole filesystem, the same for every subvolume and every mount of it.</remarks>
internal sealed record MountEntry(string MountPoint, string Device, string FsType);
