namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A real filesystem (btrfs, xfs with reflink, ext4) in a sparse image, loop-mounted in a temporary directory.
/// Disposing always unmounts (retrying while busy, lazily as a last resort), detaches the loop device and deletes
/// the image, also when the test failed.
/// </summary>
public sealed class LoopFilesystem : IAsyncDisposable
{
    private readonly string _root;
    private bool _mounted;

    private LoopFilesystem(string kind, string root)
    {
        Kind = kind;
        _root = root;
    }

    /// <summary>btrfs, xfs or ext4.</summary>
    public string Kind { get; }

    public string Image => Path.Combine(_root, Kind + ".img");

    /// <summary>With a space, so every test also checks that /proc/self/mountinfo escapes (\040) are decoded.</summary>
    public string MountPoint => Path.Combine(_root, "mnt point");

    public string Sub(string relative) => Path.Combine(MountPoint, relative);

    public static async Task<LoopFilesystem> CreateAsync(string kind, int sizeMb = 512)
    {
        var root = Directory.CreateTempSubdirectory($"pgborg-{kind}-").FullName;
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var fs = new LoopFilesystem(kind, root);
        try
        {
            Directory.CreateDirectory(fs.MountPoint);
            await Run.CheckedAsync("/usr/bin/truncate", "-s", $"{sizeMb}M", fs.Image);
            switch (kind)
            {
                case "btrfs":
                    await Run.CheckedAsync("/usr/sbin/mkfs.btrfs", "-q", fs.Image);
                    break;
                case "xfs":
                    await Run.CheckedAsync("/usr/sbin/mkfs.xfs", "-q", "-m", "reflink=1", fs.Image);
                    break;
                case "ext4":
                    await Run.CheckedAsync("/usr/sbin/mkfs.ext4", "-q", "-F", fs.Image);
                    break;
                default:
                    throw new ArgumentException($"unknown filesystem kind {kind}", nameof(kind));
            }
            await Run.CheckedAsync("/usr/bin/mount", "-o", "loop", fs.Image, fs.MountPoint);
            fs._mounted = true;
            File.SetUnixFileMode(fs.MountPoint, (UnixFileMode)0b111_101_101);
            return fs;
        }
        catch
        {
            await fs.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            var unmounted = false;
            for (var attempt = 0; attempt < 10 && !unmounted; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(300);
                }
                unmounted = (await Run.ProgramAsync("/usr/bin/umount", [MountPoint])).ExitCode == 0;
            }
            if (!unmounted)
            {
                await Run.ProgramAsync("/usr/bin/umount", ["-l", MountPoint]);
            }
            _mounted = false;
        }
        // mount -o loop sets autoclear, but a lazy unmount or a crashed mount may leave the device attached
        var attached = await Run.ProgramAsync("/usr/sbin/losetup", ["-j", Image]);
        foreach (var line in attached.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var device = line[..line.IndexOf(':')];
            await Run.ProgramAsync("/usr/sbin/losetup", ["-d", device]);
        }
        try
        {
            File.Delete(Image);
            if (Directory.Exists(MountPoint) && !Directory.EnumerateFileSystemEntries(MountPoint).Any())
            {
                Directory.Delete(MountPoint);
            }
            Directory.Delete(_root, recursive: false);
        }
        catch (IOException)
        {
            // still mounted (lazily): never delete recursively through a mount
        }
    }
}
