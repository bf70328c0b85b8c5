using System.Text;
using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>What the snapshot methods need to know about a path beyond <see cref="FileStatus"/>: whether it exists, and its filesystem. AOT-clean, no programs run.</summary>
internal static class FilesystemProbe
{
    /// <summary>On btrfs the root directory of every subvolume has this inode number.</summary>
    public const ulong BtrfsSubvolumeRootInode = 256;

    /// <summary>Whether anything (file, directory, dangling symlink) exists at <paramref name="path"/>.</summary>
    public static bool Exists(string path) => FileStatus.OfEntry(path) is not null;

    /// <summary>The mount that holds <paramref name="realPath"/> (an already resolved path): the longest mount point that prefixes it, the topmost if stacked.</summary>
    public static MountEntry MountOf(string realPath) =>
        FindMount(File.ReadLines("/proc/self/mountinfo"), realPath)
        ?? throw new SnapshotException($"cannot find the filesystem of {realPath} in /proc/self/mountinfo");

    internal static MountEntry? FindMount(IEnumerable<string> mountinfoLines, string realPath)
    {
        MountEntry? best = null;
        foreach (var line in mountinfoLines)
        {
            if (ParseMountInfoLine(line) is not { } entry || !Contains(entry.MountPoint, realPath))
            {
                continue;
            }
            // later lines are mounted on top of earlier ones at the same place
            if (best is null || entry.MountPoint.Length >= best.MountPoint.Length)
            {
                best = entry;
            }
        }
        return best;
    }

    private static bool Contains(string mountPoint, string path) =>
        mountPoint == "/"
        || path == mountPoint
        || (path.StartsWith(mountPoint, StringComparison.Ordinal) && path.Length > mountPoint.Length && path[mountPoint.Length] == '/');

    /// <summary>Parses "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" (proc(5)).</summary>
    internal static MountEntry? ParseMountInfoLine(string line)
    {
        var fields = line.Split(' ');
        var separator = Array.IndexOf(fields, "-", 6);
        if (fields.Length < 7 || separator < 0 || separator + 1 >= fields.Length)
        {
            return null;
        }
        return new MountEntry(Unescape(fields[4]), fields[2], Unescape(fields[separator + 1]));
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \040 \011 \012 \134.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var bytes = new List<byte>(field.Length);
        var raw = Encoding.UTF8.GetBytes(field);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.Length && IsOctal(raw[i + 1]) && IsOctal(raw[i + 2]) && IsOctal(raw[i + 3]))
            {
                bytes.Add((byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(raw[i]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
}
