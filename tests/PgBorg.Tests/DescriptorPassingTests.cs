using PgBorg.Processes;

namespace PgBorg.Tests;

/// <summary>
/// Files handed from one process to another by descriptor (the restore's WAL, root's extractor to the service user's
/// helper), and given a name by link where they can be, by a copy where they cannot.
/// </summary>
public sealed class DescriptorPassingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgborg-fdpass-").FullName;
    private readonly List<string> _elsewhere = [];

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        _elsewhere.ForEach(d => Directory.Delete(d, recursive: true));
    }

    [Fact]
    public async Task A_passed_file_is_the_same_file_and_only_the_expected_process_is_accepted()
    {
        var source = Path.Combine(_root, "source");
        await File.WriteAllTextAsync(source, "the segment", TestContext.Current.CancellationToken);
        using var listener = DescriptorPassing.Listen(out var name);
        var self = OsUser.Current.Uid;

        // a connection from a process other than the expected one is closed unheard
        using (var wrong = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            var accepting = DescriptorPassing.AcceptAsync(listener, Environment.ProcessId + 1, self, wrong.Token);
            using var stranger = DescriptorPassing.Connect(name);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accepting);
        }

        var accepted = DescriptorPassing.AcceptAsync(listener, Environment.ProcessId, self, TestContext.Current.CancellationToken);
        using var receiver = DescriptorPassing.Connect(name);
        using var sender = await accepted;
        using (var file = File.OpenHandle(source))
        {
            DescriptorPassing.Send(sender, file);
        }
        using var received = DescriptorPassing.Receive(receiver);
        Assert.Equal(FileStatus.Of(source)!.Value.Inode, FileStatus.Of(received)!.Value.Inode);
        var bytes = new byte[64];
        Assert.Equal("the segment", System.Text.Encoding.ASCII.GetString(bytes, 0, RandomAccess.Read(received, bytes, 0)));

        sender.Dispose();
        Assert.Throws<IOException>(() => DescriptorPassing.Receive(receiver));
    }

    [Fact]
    public async Task A_file_is_linked_on_its_own_filesystem_and_copied_to_another()
    {
        var source = Path.Combine(_root, "source");
        var content = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        await File.WriteAllBytesAsync(source, content, TestContext.Current.CancellationToken);
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

        var linked = Path.Combine(_root, "linked");
        using (var handle = FileLink.LinkOrCopy(File.OpenHandle(source), linked, mode))
        {
            Assert.Equal(FileStatus.Of(source)!.Value.Inode, FileStatus.Of(linked)!.Value.Inode);
        }

        // /dev/shm is a tmpfs of its own
        var other = Directory.CreateTempSubdirectory("pgborg-fdpass-").FullName;
        if (Device(other) == Device(_root))
        {
            Directory.Delete(other);
            other = Path.Combine("/dev/shm", "pgborg-fdpass-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(other);
        }
        _elsewhere.Add(other);
        Assert.NotEqual(Device(other), Device(_root));
        var copied = Path.Combine(other, "copied");
        using (var handle = FileLink.LinkOrCopy(File.OpenHandle(source), copied, mode))
        {
            Assert.NotEqual(FileStatus.Of(source)!.Value.Inode, FileStatus.Of(copied)!.Value.Inode);
        }
        Assert.Equal(content, await File.ReadAllBytesAsync(copied, TestContext.Current.CancellationToken));
        Assert.Equal(mode, File.GetUnixFileMode(copied));
    }

    private static (uint, uint) Device(string path) => FileStatus.Of(path) is { } s ? (s.DeviceMajor, s.DeviceMinor) : default;
}
