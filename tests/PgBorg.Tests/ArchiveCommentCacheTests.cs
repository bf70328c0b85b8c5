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

    /// <summary>The cache of glob "g" in "/repo" saved with archive "a" (id 01) and <paramref name="comment"/>; its file.</summary>
    private string SaveOne(string comment)
    {
        var cache = ArchiveCommentCache.Open(_dir, "/repo", "g");
        cache.Add([Entry("a", "t", "01", comment)]);
        cache.Save([Entry("a", "t", "01")]);
        return Directory.GetFiles(Path.Combine(_dir, ArchiveCommentCache.Directory)).Single();
    }

    [Fact]
    public void A_save_removes_the_temporary_files_of_writers_killed_an_hour_ago_and_no_others()
    {
        var file = SaveOne("one");
        var killed = $"{file}.{Guid.NewGuid():N}.tmp";
        var writing = $"{file}.{Guid.NewGuid():N}.tmp";
        var other = Path.Combine(Path.GetDirectoryName(file)!, "another.json.1.tmp");
        foreach (var f in new[] { killed, writing, other })
        {
            File.WriteAllText(f, "{");
        }
        File.SetLastWriteTimeUtc(killed, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow.AddHours(-2));

        var again = ArchiveCommentCache.Open(_dir, "/repo", "g");
        again.Add([Entry("b", "t", "02", "two")]);
        again.Save([Entry("a", "t", "01"), Entry("b", "t", "02")]);
        Assert.False(File.Exists(killed));
        Assert.True(File.Exists(writing));
        Assert.True(File.Exists(other), "another cache's temporary file is that cache's to remove");
        Assert.Equal("two", ArchiveCommentCache.Open(_dir, "/repo", "g").Fill(Entry("b", "t", "02")).Comment);
    }

    [Fact]
    public void A_damaged_file_is_an_empty_cache()
    {
        var file = SaveOne("{\"x\": \"<&>\"}");
        Assert.Equal("{\"x\": \"<&>\"}", ArchiveCommentCache.Open(_dir, "/repo", "g").Fill(Entry("a", "t", "01")).Comment);
        File.WriteAllText(file, "{\"archives\": 5, \"comme");
        var damaged = ArchiveCommentCache.Open(_dir, "/repo", "g");
        Assert.Equal(0, damaged.ArchivesLastSeen);
        Assert.False(damaged.Has(Entry("a", "t", "01")));
    }

    [Fact]
    public void The_newest_K_reach_back_to_the_oldest_archive_not_cached_in_the_listings_order()
    {
        var names = new[] { Entry("a", "t", "01"), Entry("b", "t", "02"), Entry("c", "t", "03"), Entry("d", "t", "04") };
        var cache = ArchiveCommentCache.Open(_dir, "/repo", "g");
        Assert.Equal(4, BorgRepository.NewestUncached(names, cache));
        cache.Add([Entry("a", "t", "01", "x"), Entry("b", "t", "02", "x"), Entry("d", "t", "04", "x")]);
        // c lacks its comment: the last two of the listing hold it
        Assert.Equal(2, BorgRepository.NewestUncached(names, cache));
        // only a and b wanted: nothing to read
        Assert.Null(BorgRepository.NewestUncached(names, cache, [names[0], names[1]]));
        cache.Add([Entry("c", "t", "03", "x")]);
        Assert.Null(BorgRepository.NewestUncached(names, cache));
        // an entry without a comment is not cached
        cache.Add([Entry("e", "t", "05")]);
        Assert.False(cache.Has(Entry("e", "t", "05")));
    }

    [Fact]
    public void A_names_listing_is_parsed_with_any_character_of_a_name()
    {
        var parsed = BorgRepository.ParseNames("ab01\th~i~wal~x\0" + "ab02\tname\twith tab\0\n");
        Assert.Equal([("h~i~wal~x", "ab01"), ("name\twith tab", "ab02")], parsed.Select(e => (e.Name, e.Id!)));
        Assert.All(parsed, e => Assert.Null(e.Comment));
        Assert.Empty(BorgRepository.ParseNames(""));
        Assert.Throws<FormatException>(() => BorgRepository.ParseNames("no tab here\0"));
    }

    [Fact]
    public void An_archives_item_listing_gives_its_sizes_and_regular_files_but_no_deduplicated_size()
    {
        // a link's size and csize are its target's length; a directory has none
        var totals = BorgRepository.ParseItemTotals("-\t16777216\t1203\0" + "-\t16777216\t900100\0" + "d\t0\t0\0" + "l\t27\t27\0\n");
        Assert.Equal(new BorgArchiveStats(2 * 16777216, 901303, null, 2), totals);
        Assert.Equal(new BorgArchiveStats(0, 0, null, 0), BorgRepository.ParseItemTotals(""));
        Assert.Throws<FormatException>(() => BorgRepository.ParseItemTotals("-\t16777216\0"));
        Assert.Throws<FormatException>(() => BorgRepository.ParseItemTotals("-\tbig\t1\0"));
    }
}
