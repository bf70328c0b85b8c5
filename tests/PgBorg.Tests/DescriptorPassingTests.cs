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

        // a connection from another process, or from this one under another uid, is closed unheard
        foreach (var (pid, uid) in new[] { (Environment.ProcessId + 1, self), (Environment.ProcessId, self + 1) })
        {
            using var wrong = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var refusing = DescriptorPassing.AcceptAsync(listener, pid, uid, wrong.Token);
            using var stranger = await DescriptorPassing.ConnectAsync(name, TimeSpan.FromSeconds(5));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => refusing);
            Assert.Throws<IOException>(() => DescriptorPassing.Receive(stranger)); // closed by the listener
        }

        var accepted = DescriptorPassing.AcceptAsync(listener, Environment.ProcessId, self, TestContext.Current.CancellationToken);
        using var receiver = await DescriptorPassing.ConnectAsync(name, TimeSpan.FromSeconds(5));
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

    [Fact]
    public void Root_opens_a_staged_file_only_if_it_is_a_plain_file_with_one_name()
    {
        var plain = Path.Combine(_root, "000000010000000000000001");
        File.WriteAllText(plain, "wal");
        using (var handle = PlainFile.OpenForReading(plain))
        {
            Assert.Equal(3, RandomAccess.GetLength(handle));
        }

        var secret = Path.Combine(_root, "secret");
        File.WriteAllText(secret, "root's");
        var link = Path.Combine(_root, "000000010000000000000002");
        File.CreateSymbolicLink(link, secret);
        Assert.Throws<InvalidDataException>(() => PlainFile.OpenForReading(link));

        var hardLink = Path.Combine(_root, "000000010000000000000003");
        Assert.Equal(0, Link(secret, hardLink));
        Assert.Throws<InvalidDataException>(() => PlainFile.OpenForReading(hardLink));

        // a FIFO would block an open for reading until a writer came: refused at once instead
        var fifo = Path.Combine(_root, "000000010000000000000004");
        Assert.Equal(0, MakeFifo(fifo, 0x180));
        Assert.Throws<InvalidDataException>(() => PlainFile.OpenForReading(fifo));

        var directory = Path.Combine(_root, "000000010000000000000005");
        Directory.CreateDirectory(directory);
        Assert.Throws<InvalidDataException>(() => PlainFile.OpenForReading(directory));
        Assert.Throws<IOException>(() => PlainFile.OpenForReading(Path.Combine(_root, "missing")));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link")]
    private static extern int Link(string from, string to);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo")]
    private static extern int MakeFifo(string path, uint mode);

    private static (uint, uint) Device(string path) => FileStatus.Of(path) is { } s ? (s.DeviceMajor, s.DeviceMinor) : default;
}
