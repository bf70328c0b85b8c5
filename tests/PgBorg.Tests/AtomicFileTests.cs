using PgBorg.Processes;

namespace PgBorg.Tests;

/// <summary>A write replaces the file whole and removes what killed writers left, but never a writer's file in use.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_write_removes_old_leftovers_of_the_same_file_only()
    {
        var path = Path.Combine(_dir, "state.json");
        string Leftover(string of, TimeSpan age)
        {
            var p = Path.Combine(_dir, $".{of}.{Guid.NewGuid():N}.tmp");
            File.WriteAllText(p, "half");
            File.SetLastWriteTimeUtc(p, DateTime.UtcNow - age);
            return p;
        }
        var killed = Leftover("state.json", TemporarySibling.LeftoverAge + TimeSpan.FromMinutes(1));
        var inUse = Leftover("state.json", TimeSpan.FromSeconds(1));
        var otherFiles = Leftover("other.json", TimeSpan.FromDays(3));
        var longerName = Leftover("state.json.old", TimeSpan.FromDays(3)); // the glob matches it, the name does not

        AtomicFile.Write(path, "{}\n");

        Assert.Equal("{}\n", File.ReadAllText(path));
        Assert.False(File.Exists(killed));
        Assert.True(File.Exists(inUse));
        Assert.True(File.Exists(otherFiles));
        Assert.True(File.Exists(longerName));
        Assert.Equal(4, Directory.EnumerateFiles(_dir).Count()); // the file, the one in use, the two of other files
    }
}
