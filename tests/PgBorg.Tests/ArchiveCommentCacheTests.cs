using PgBorg.Borg;

namespace PgBorg.Tests;

/// <summary>
/// The comment cache and the names listing it works from: comments are found by archive id only, the file keeps the
/// archives listed now, a damaged or missing file is an empty cache, and <c>--last K</c> covers every archive missing.
/// </summary>
public sealed class ArchiveCommentCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-cache-test").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static BorgArchiveEntry Entry(string name, string start, string id, string? comment = null) => new(name, start, comment, id);

    [Fact]
    public void A_comment_is_found_by_id_only_and_the_saved_file_keeps_the_archives_listed()
    {
        var cache = ArchiveCommentCache.Open(_dir, "/repo", "h~i~*");
        cache.Add([Entry("a", "2026-12-01T00:00:00.000000", "01", "one"), Entry("b", "2026-12-01T00:00:01.000000", "02", "two")]);
        cache.Save([Entry("a", "2026-12-01T00:00:00.000000", "01"), Entry("b2", "2026-12-01T00:00:01.000000", "03")]);

        var again = ArchiveCommentCache.Open(_dir, "/repo", "h~i~*");
        Assert.Equal(2, again.ArchivesLastSeen);
        Assert.Equal("one", again.Fill(Entry("a", "2026-12-01T00:00:00.000000", "01")).Comment);
        // the same name under another id (a recreated comment) is not in the cache
        Assert.False(again.Has(Entry("a", "2026-12-01T00:00:00.000000", "09")));
        // an id no longer listed was dropped
        Assert.False(again.Has(Entry("b", "2026-12-01T00:00:01.000000", "02")));
        // another glob or repository has a cache of its own
        Assert.Equal(0, ArchiveCommentCache.Open(_dir, "/repo", "h~j~*").ArchivesLastSeen);
        Assert.Equal(0, ArchiveCommentCache.Open(_dir, "/other", "h~i~*").ArchivesLastSeen);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(_dir, ArchiveCommentCache.Directory)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void A_damaged_file_is_an_empty_cache()
    {
        var cache = ArchiveCommentCache.Open(_dir, "/repo", "g");
        cache.Add([Entry("a", "t", "01", "{\"x\": \"<&>\"}")]);
        cache.Save([Entry("a", "t", "01")]);
        var file = Directory.GetFiles(Path.Combine(_dir, ArchiveCommentCache.Directory)).Single();
        Assert.Equal("{\"x\": \"<&>\"}", ArchiveCommentCache.Open(_dir, "/repo", "g").Fill(Entry("a", "t", "01")).Comment);
        File.WriteAllText(file, "{\"archives\": 5, \"comme");
        var damaged = ArchiveCommentCache.Open(_dir, "/repo", "g");
        Assert.Equal(0, damaged.ArchivesLastSeen);
        Assert.False(damaged.Has(Entry("a", "t", "01")));
    }

    [Fact]
    public void The_newest_K_reach_back_to_the_oldest_missing_archive_ties_included()
    {
        var names = new[]
        {
            Entry("a", "2026-12-01T00:00:00.000000", "01"),
            Entry("b", "2026-12-01T00:00:05.000000", "02"),
            Entry("c", "2026-12-01T00:00:05.000000", "03"),
            Entry("d", "2026-12-01T00:00:09.000000", "04"),
        };
        Assert.Equal(1, BorgRepository.NewestFrom(names, [names[3]]));
        // b and c started in the same microsecond: Borg may order them either way, so both count
        Assert.Equal(3, BorgRepository.NewestFrom(names, [names[2]]));
        Assert.Equal(4, BorgRepository.NewestFrom(names, [names[3], names[0]]));
        Assert.Null(BorgRepository.NewestFrom(names, [new BorgArchiveEntry("x", null, null, "05")]));
    }

    [Fact]
    public void A_names_listing_is_parsed_with_any_character_of_a_name()
    {
        var parsed = BorgRepository.ParseNames("2026-12-01T00:00:00.000000\tab01\th~i~wal~x\0" + "2026-12-01T00:00:01.500000\tab02\tname\twith tab\0\n");
        Assert.Equal([("h~i~wal~x", "2026-12-01T00:00:00.000000", "ab01"), ("name\twith tab", "2026-12-01T00:00:01.500000", "ab02")],
            parsed.Select(e => (e.Name, e.Start!, e.Id!)));
        Assert.All(parsed, e => Assert.Null(e.Comment));
        Assert.Empty(BorgRepository.ParseNames(""));
        Assert.Throws<FormatException>(() => BorgRepository.ParseNames("no tabs here\0"));
    }
}
