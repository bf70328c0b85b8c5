using PgBorg.Processes;

namespace PgBorg.Tests;

/// <summary>
/// A directory root works in through its handle: a name swapped for a link afterwards leads nowhere, and a name
/// someone prepared beforehand is refused.
/// </summary>
public sealed class DirectoryAnchorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgborg-anchor-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Work_through_the_handle_stays_in_the_directory_made_when_its_name_is_swapped_for_a_link()
    {
        var name = Path.Combine(_root, "staging");
        var elsewhere = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
        using var anchor = DirectoryAnchor.Create(name);
        Assert.True(anchor.IsAt(name));

        var moved = Path.Combine(_root, "moved");
        Directory.Move(name, moved);
        File.CreateSymbolicLink(name, elsewhere);
        File.WriteAllText(Path.Combine(anchor.Path, "file"), "data");

        Assert.False(anchor.IsAt(name));
        Assert.True(anchor.IsAt(moved));
        Assert.True(File.Exists(Path.Combine(moved, "file")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
        // where it is now, as the kernel knows it, not the name it was made at (now a link)
        Assert.Equal(moved, anchor.CurrentPath);

        File.Delete(Path.Combine(moved, "file"));
        Directory.Delete(moved);
        Assert.Null(anchor.CurrentPath);
    }

    [Fact]
    public void A_name_where_something_already_is_is_refused()
    {
        var prepared = Directory.CreateDirectory(Path.Combine(_root, "prepared")).FullName;
        var link = Path.Combine(_root, "link");
        File.CreateSymbolicLink(link, prepared);

        Assert.Contains("already exists", Assert.Throws<UnsafeException>(() => DirectoryAnchor.Create(prepared)).Message);
        Assert.Contains("already exists", Assert.Throws<UnsafeException>(() => DirectoryAnchor.Create(link)).Message);
    }
}
