using PgBorg.Configuration;

namespace PgBorg.Tests;

public sealed class SpoolMaxSizeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-unit-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private PgBorgConfig Load(string value)
    {
        var path = Path.Combine(_dir, "pgborg.toml");
        File.WriteAllText(path, $"[archive]\nrepository = \"/r\"\npasscommand = \"cat /p\"\nspool_max_size = \"{value}\"\n");
        return PgBorgConfig.Load(path);
    }

    [Theory]
    [InlineData("50GB", 50L << 30)]
    [InlineData("512MB", 512L << 20)]
    [InlineData("1 TiB", 1L << 40)]
    [InlineData("4096", 4096)]
    public void A_size_is_read_in_binary_units_as_postgresql_conf_reads_them(string text, long bytes) =>
        Assert.Equal(bytes, Load(text).ArchiveFor("main").SpoolMaxSize);

    [Fact]
    public void Empty_means_no_limit_and_wal_is_never_acknowledged_unless_stored() =>
        Assert.Null(Load("").ArchiveFor("main").SpoolMaxSize);

    [Theory]
    [InlineData("50 apples")]
    [InlineData("0")]
    [InlineData("-5GB")]
    [InlineData("99999999999TB")]
    public void Anything_else_is_refused_naming_the_key(string text)
    {
        var e = Assert.Throws<ConfigException>(() => Load(text));
        Assert.Contains("spool_max_size", e.Message);
        Assert.Contains("a size such as", e.Message);
    }
}
