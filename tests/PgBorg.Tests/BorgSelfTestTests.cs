using PgBorg.Borg;

namespace PgBorg.Tests;

/// <summary>Borg's self test is skipped only after one passed with the executable as it is now, for a day.</summary>
public sealed class BorgSelfTestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-selftest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Executable(string content, DateTime modified)
    {
        var path = Path.Combine(_dir, "borg");
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, modified);
        return path;
    }

    [Fact]
    public void The_test_is_skipped_after_one_passed_until_the_executable_changes_or_a_day_passes()
    {
        var now = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        var borg = Executable("#!/usr/bin/python3\n# 1.2.4\n", now.AddDays(-30));
        var state = Path.Combine(_dir, "state");

        Assert.False(BorgSelfTest.Passed(state, borg, now));
        BorgSelfTest.Record(state, borg, now);
        Assert.True(BorgSelfTest.Passed(state, borg, now.AddHours(23)));
        Assert.False(BorgSelfTest.Passed(state, borg, now + BorgSelfTest.RetestAfter));

        // an upgrade replaces the executable: another modification time, even at the same size
        Executable("#!/usr/bin/python3\n# 1.2.5\n", now.AddDays(-1));
        Assert.False(BorgSelfTest.Passed(state, borg, now.AddMinutes(1)));
        Assert.False(BorgSelfTest.Passed(state, Path.Combine(_dir, "missing"), now));
    }

    [Fact]
    public void Another_process_reads_the_marker_of_the_state_directory_and_follows_a_link_to_the_executable()
    {
        var now = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        var borg = Executable("#!/usr/bin/python3\n", now.AddDays(-30));
        var link = Path.Combine(_dir, "borg-link");
        File.CreateSymbolicLink(link, borg);
        var first = Path.Combine(_dir, "first");
        BorgSelfTest.Record(first, link, now);

        // a directory this process never recorded into, holding the marker another process wrote
        var second = Path.Combine(_dir, "second");
        Directory.CreateDirectory(second);
        var marker = Assert.Single(Directory.GetFiles(first));
        var copy = Path.Combine(second, Path.GetFileName(marker));
        File.Copy(marker, copy);
        File.SetLastWriteTimeUtc(copy, now);
        Assert.True(BorgSelfTest.Passed(second, borg, now.AddMinutes(1)));
        Assert.StartsWith(borg + "\n", File.ReadAllText(marker), StringComparison.Ordinal);

        // a marker written for another executable does not count
        File.WriteAllText(copy, "/usr/local/bin/borg\n1\n2\n");
        File.SetLastWriteTimeUtc(copy, now);
        Assert.False(BorgSelfTest.Passed(second, borg, now.AddMinutes(1)));
    }
}
