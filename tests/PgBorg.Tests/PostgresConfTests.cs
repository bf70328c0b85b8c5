using PgBorg.PostgreSql;

namespace PgBorg.Tests;

public sealed class PostgresConfTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-conf-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData("port = 5433", "port", "5433")]
    [InlineData("port=5433 # comment", "port", "5433")]
    [InlineData("port 5433", "port", "5433")]
    [InlineData("data_directory = '/var/lib/postgresql/15/main'		# use data in another directory", "data_directory", "/var/lib/postgresql/15/main")]
    [InlineData("unix_socket_directories = '/run/a, /tmp'", "unix_socket_directories", "/run/a, /tmp")]
    [InlineData("x = 'it''s # not a comment'", "x", "it's # not a comment")]
    [InlineData("x = 'back\\'slash'", "x", "back'slash")]
    public void Lines_parse_as_the_server_reads_them(string line, string key, string value)
    {
        Assert.True(PgConfFile.TryParseLine(line, out var k, out var v));
        Assert.Equal((key, value), (k, v));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   # port = 1")]
    public void Comments_and_blank_lines_are_skipped(string line) => Assert.False(PgConfFile.TryParseLine(line, out _, out _));

    [Fact]
    public void Includes_are_followed_and_later_settings_win()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "conf.d"));
        File.WriteAllText(Path.Combine(_dir, "postgresql.conf"), "port = 1\ninclude_dir 'conf.d'\ninclude_if_exists 'missing.conf'\ninclude 'extra.conf'\n");
        File.WriteAllText(Path.Combine(_dir, "conf.d", "10-a.conf"), "port = 2\nunix_socket_directories = '/s1'\n");
        File.WriteAllText(Path.Combine(_dir, "conf.d", "20-b.conf"), "port = 3\n");
        File.WriteAllText(Path.Combine(_dir, "conf.d", "ignored.txt"), "port = 99\n");
        File.WriteAllText(Path.Combine(_dir, "extra.conf"), "unix_socket_directories = '/s2,/s3'\n");
        var conf = PgConfFile.Read(Path.Combine(_dir, "postgresql.conf"));
        Assert.Equal(3, InstanceCatalog.PortOf(conf));
        Assert.Equal("/s2", InstanceCatalog.SocketOf(conf));
    }

    [Fact]
    public void Defaults_apply_when_nothing_is_set()
    {
        var conf = PgConfFile.Read(Path.Combine(_dir, "absent.conf"));
        Assert.Equal(5432, InstanceCatalog.PortOf(conf));
        Assert.Equal("/var/run/postgresql", InstanceCatalog.SocketOf(conf));
    }

    [Fact]
    public void Conninfo_values_are_quoted_so_any_database_name_is_a_database_name()
    {
        Assert.Equal("'a=b'", PgInstance.Quote("a=b"));
        Assert.Equal("'it\\'s'", PgInstance.Quote("it's"));
        Assert.Equal("'back\\\\slash'", PgInstance.Quote("back\\slash"));
    }
}
