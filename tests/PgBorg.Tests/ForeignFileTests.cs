using PgBorg.Processes;

namespace PgBorg.Tests;

/// <summary>What root reads in another user's directory: a regular file, never through a link, never blocked by a FIFO.</summary>
public sealed class ForeignFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgborg-foreign-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_regular_file_is_read_and_links_fifos_directories_and_other_owners_are_refused_at_once()
    {
        var file = Path.Combine(_root, "PG_VERSION");
        await File.WriteAllTextAsync(file, "15\n", TestContext.Current.CancellationToken);
        Assert.Equal("15\n", ForeignFile.ReadAllText(file));

        var link = Path.Combine(_root, "link");
        File.CreateSymbolicLink(link, file);
        Assert.Contains("is a link", Assert.Throws<IOException>(() => ForeignFile.OpenRead(link)).Message);

        var fifo = Path.Combine(_root, "fifo");
        var made = System.Diagnostics.Process.Start("/usr/bin/mkfifo", fifo);
        await made.WaitForExitAsync(TestContext.Current.CancellationToken);
        var opening = Task.Run(() => Assert.Throws<IOException>(() => ForeignFile.OpenRead(fifo)), TestContext.Current.CancellationToken);
        Assert.Same(opening, await Task.WhenAny(opening, Task.Delay(5000, TestContext.Current.CancellationToken)));
        Assert.Contains("not a regular file", (await opening).Message);

        Assert.Contains("not a regular file", Assert.Throws<IOException>(() => ForeignFile.OpenRead(_root)).Message);
        Assert.Throws<FileNotFoundException>(() => ForeignFile.OpenRead(Path.Combine(_root, "missing")));
        Assert.Contains("another user", Assert.Throws<IOException>(() => ForeignFile.OpenRead(file, owner: 4242)).Message);

        await File.WriteAllTextAsync(file, new string('x', 100), TestContext.Current.CancellationToken);
        Assert.Contains("larger than", Assert.Throws<IOException>(() => ForeignFile.ReadAllText(file, maxBytes: 10)).Message);
    }
}
