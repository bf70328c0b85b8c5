using Microsoft.Extensions.Logging.Abstractions;
using PgBorg.Archiving;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Tests;

public sealed class TablespaceMapFileTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("pgborg-tsmap-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private void Link(uint oid, string target)
    {
        Directory.CreateDirectory(Path.Combine(_data, "pg_tblspc"));
        File.CreateSymbolicLink(Path.Combine(_data, "pg_tblspc", oid.ToString(System.Globalization.CultureInfo.InvariantCulture)), target);
    }

    private TablespaceMapFile Place() => TablespaceMapFile.Place(_data, OsUser.Current, "main", NullLogger.Instance);

    [Fact]
    public void Each_line_is_the_oid_and_the_link_target_as_written_with_line_breaks_and_backslashes_escaped_as_PostgreSQL_does()
    {
        Assert.Equal("16390 /srv/ts one\n16391 ../rel\\\nati\\\\ve\\\r\n",
            TablespaceMapFile.Format([(16390, "/srv/ts one"), (16391, "../rel\nati\\ve\r")]));
    }

    [Fact]
    public void The_map_is_written_into_the_data_directory_owner_only_and_removed_again()
    {
        Link(16390, "/srv/ts one");
        Link(16391, "/srv/two");
        var map = Place();
        Assert.True(map.Placed);
        var path = Path.Combine(_data, "tablespace_map");
        Assert.Equal(map.Expected, File.ReadAllText(path));
        Assert.Equal(["16390 /srv/ts one", "16391 /srv/two"], File.ReadAllLines(path).Order(StringComparer.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        map.Remove();
        Assert.False(File.Exists(path));
        map.Remove();
    }

    [Fact]
    public void PostgreSQLs_map_in_another_order_agrees_and_one_with_another_tablespace_fails_the_base()
    {
        Link(16390, "/srv/ts one");
        Link(16391, "/srv/two");
        var map = Place();
        map.Verify("16391 /srv/two\n16390 /srv/ts one\n", "20261206T090000Z");
        var e = Assert.Throws<PgException>(() => map.Verify("16391 /srv/two\n16390 /srv/ts one\n16392 /srv/new\n", "20261206T090000Z"));
        Assert.StartsWith("the tablespaces changed during the base backup of cycle 20261206T090000Z: PostgreSQL's tablespace_map is \"", e.Message, StringComparison.Ordinal);
        Assert.Contains("16392 /srv/new", e.Message, StringComparison.Ordinal);
        map.Remove();
    }

    [Fact]
    public void Without_tablespaces_no_file_is_written_and_PostgreSQL_must_report_none()
    {
        File.WriteAllText(Path.Combine(_data, "tablespace_map"), "16390 /stale\n");
        var map = Place();
        Assert.False(map.Placed);
        Assert.Equal("", map.Expected);
        // a stale file is not this base's: left alone here, and excluded from the archive
        Assert.Equal("16390 /stale\n", File.ReadAllText(Path.Combine(_data, "tablespace_map")));
        map.Verify("", "20261206T090000Z");
        Assert.Throws<PgException>(() => map.Verify("16390 /srv/new\n", "20261206T090000Z"));
    }

    [Fact]
    public void Beside_a_backup_label_another_tool_wrote_nothing_is_replaced()
    {
        Link(16390, "/srv/ts one");
        File.WriteAllText(Path.Combine(_data, "backup_label"), "START WAL LOCATION: 0/2000028\n");
        File.WriteAllText(Path.Combine(_data, "tablespace_map"), "16390 /theirs\n");
        var map = Place();
        Assert.False(map.Placed);
        Assert.Equal("16390 /theirs\n", File.ReadAllText(Path.Combine(_data, "tablespace_map")));
        map.Remove();
        Assert.True(File.Exists(Path.Combine(_data, "tablespace_map")));
    }
}
