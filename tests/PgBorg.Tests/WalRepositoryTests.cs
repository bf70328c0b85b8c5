using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Configuration;

namespace PgBorg.Tests;

public sealed class WalRepositoryTests
{
    [Theory]
    [InlineData("/var/backups/pgborg/archive", "/var/backups/pgborg/archive-wal")]
    [InlineData("/var/backups/pgborg/archive/", "/var/backups/pgborg/archive-wal")]
    [InlineData("ssh://backup@host:2222/srv/borg/archive", "ssh://backup@host:2222/srv/borg/archive-wal")]
    [InlineData("ssh://backup@host/./archive/", "ssh://backup@host/./archive-wal")]
    [InlineData("backup@host:archive", "backup@host:archive-wal")]
    public void The_default_WAL_repository_is_the_archive_repository_with_wal_appended(string archive, string wal) =>
        Assert.Equal(wal, WalRepositoryLocation.Default(archive));

    private static BorgArchiveEntry Entry(string name, string? comment = null) => new(name, null, comment);

    private static string Wal(string first, string last, string cycle) =>
        $$"""{"format":"pgborg-wal/1","host":"h","instance":"main","cycle":"{{cycle}}","files":["{{first}}","{{last}}"],"bytes":1,"createdAt":"2026-12-06T06:00:00Z"}""";

    [Fact]
    public void WAL_in_the_archive_repository_is_marked_as_such_beside_WAL_in_its_own_repository()
    {
        const string cycle = "20261206T060000Z";
        var archives = new[]
        {
            Entry($"h~main~pg15~base~{cycle}"),
            Entry($"h~main~pg15~wal~000000010000000000000001~000000010000000000000002~{cycle}", Wal("000000010000000000000001", "000000010000000000000002", cycle)),
        };
        var wal = new[]
        {
            Entry($"h~main~pg15~wal~000000010000000000000003~000000010000000000000004~{cycle}", Wal("000000010000000000000003", "000000010000000000000004", cycle)),
            // a base can only be in the archive repository: one in the WAL repository's listing is not taken for a base
            Entry($"h~main~pg15~base~20261206T070000Z"),
        };
        var c = Assert.Single(CycleCatalog.Build(archives, wal, "h", "main"), x => x.Stamp == cycle);
        Assert.Equal([false, true], c.WalBatches.Select(w => w.InWalRepository));
        Assert.Equal([$"h~main~pg15~wal~000000010000000000000001~000000010000000000000002~{cycle}", $"h~main~pg15~base~{cycle}"], c.ArchiveRepositoryArchives);
        Assert.Equal(4, c.WalFiles.Count);
        Assert.DoesNotContain(CycleCatalog.Build(archives, wal, "h", "main"), x => x.BaseArchive == "h~main~pg15~base~20261206T070000Z");
    }

    [Fact]
    public void The_configuration_derives_the_WAL_repository_and_lets_an_instance_override_it()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """
                [archive]
                repository = "/srv/archive"
                passcommand = "cat /etc/pass"

                [instances.main]
                data_directory = "/srv/main"

                [instances.other]
                data_directory = "/srv/other"

                [instances.other.archive]
                wal_repository = "ssh://b@h/other-wal"
                wal_consolidation = "30m"
                """);
            var config = PgBorgConfig.Load(path);
            var main = config.ArchiveFor("main");
            Assert.Equal("/srv/archive-wal", main.WalRepository.Location);
            Assert.Equal("cat /etc/pass", main.WalRepository.PassCommand);
            Assert.Equal(TimeSpan.FromHours(1), main.WalConsolidation);
            var other = config.ArchiveFor("other");
            Assert.Equal("ssh://b@h/other-wal", other.WalRepository.Location);
            Assert.Equal(TimeSpan.FromMinutes(30), other.WalConsolidation);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
