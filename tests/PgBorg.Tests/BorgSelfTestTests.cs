using PgBorg.Borg;

namespace PgBorg.Tests;

/// <summary>Borg's self test is skipped only after one passed with the executable as it is now, for a day, and only on a marker of our own.</summary>
public sealed class BorgSelfTestTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-selftest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Executable(string content)
    {
        var path = Path.Combine(_dir, "borg");
        File.WriteAllText(path, content);
        return path;
    }

    private string State(string name)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string Marker(string state) => Path.Combine(state, "pgborg-selftest-passed");

    [Fact]
    public void The_test_is_skipped_after_one_passed_until_the_executable_changes_or_a_day_passes()
    {
        var borg = Executable("#!/usr/bin/python3\n# 1.2.4\n");
        var identity = BorgSelfTest.IdentityOf(borg)!;
        var state = State("state");

        Assert.False(BorgSelfTest.Passed(state, identity, Now));
        BorgSelfTest.Record(state, identity, Now);
        Assert.True(BorgSelfTest.Passed(state, identity, Now.AddHours(23)));
        Assert.False(BorgSelfTest.Passed(state, identity, Now + BorgSelfTest.RetestAfter));
        // a clock set back does not stretch the day
        Assert.False(BorgSelfTest.Passed(state, identity, Now.AddMinutes(-1)));

        // an upgrade writes the executable anew: another change time, whatever its size and modification time
        var modified = File.GetLastWriteTimeUtc(borg);
        Executable("#!/usr/bin/python3\n# 1.2.5\n");
        File.SetLastWriteTimeUtc(borg, modified);
        var upgraded = BorgSelfTest.IdentityOf(borg)!;
        Assert.NotEqual(identity, upgraded);
        Assert.False(BorgSelfTest.Passed(state, upgraded, Now.AddMinutes(1)));
        Assert.Null(BorgSelfTest.IdentityOf(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void Another_process_reads_a_marker_of_its_own_directory_but_never_one_another_user_could_have_put_there()
    {
        var borg = Executable("#!/usr/bin/python3\n");
        var link = Path.Combine(_dir, "borg-link");
        File.CreateSymbolicLink(link, borg);
        var identity = BorgSelfTest.IdentityOf(link)!;
        Assert.Equal(BorgSelfTest.IdentityOf(borg), identity);
        var first = State("first");
        BorgSelfTest.Record(first, identity, Now);
        Assert.StartsWith(borg + "\n", File.ReadAllText(Marker(first)), StringComparison.Ordinal);

        // a directory this process never recorded into, holding the marker another process wrote
        var second = State("second");
        File.Copy(Marker(first), Marker(second));
        Assert.True(BorgSelfTest.Passed(second, identity, Now.AddMinutes(1)));

        // a directory others may write: its marker is not trusted, and none is written there
        var shared = State("shared");
        File.Copy(Marker(first), Marker(shared));
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_101);
        Assert.False(BorgSelfTest.Passed(shared, identity, Now.AddMinutes(1)));
        var open = State("open");
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        BorgSelfTest.Record(open, identity, Now);
        Assert.False(File.Exists(Marker(open)));

        // a marker that is a link is not followed; one written for another executable does not count
        var linked = State("linked");
        File.CreateSymbolicLink(Marker(linked), Marker(first));
        Assert.False(BorgSelfTest.Passed(linked, identity, Now.AddMinutes(1)));
        File.WriteAllText(Marker(second), $"/usr/local/bin/borg\n0:1:2\n3\n{Now.Ticks}\n");
        Assert.False(BorgSelfTest.Passed(second, identity, Now.AddMinutes(1)));
    }
}
