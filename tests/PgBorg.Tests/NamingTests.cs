using PgBorg.Naming;

namespace PgBorg.Tests;

public sealed class NamingTests
{
    public static TheoryData<string> Names => new(
        "my-db", "with space", "ünïcödé", "a/b", "\"q\"", "_x", new string('ü', 31) + "a", "it's", "tab\there",
        "a~b", "*", "?[]", "+2F", "x.checkpoint", "emoji😀", "..", "-", "%41", "日本語");

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_name_round_trips_through_the_codec(string name)
    {
        var encoded = NameCodec.Encode(name);
        Assert.True(encoded.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+'), encoded);
        Assert.True(NameCodec.TryDecode(encoded, out var back));
        Assert.Equal(name, back);
    }

    [Theory]
    [InlineData("my-db", "my-db")]
    [InlineData("a/b", "a+2Fb")]
    [InlineData("with space", "with+20space")]
    [InlineData("a+b", "a+2Bb")]
    [InlineData("a~b", "a+7Eb")]
    public void Safe_characters_stay_readable(string name, string encoded) => Assert.Equal(encoded, NameCodec.Encode(name));

    [Theory]
    [InlineData("")]
    [InlineData("a+2")]
    [InlineData("a+zz")]
    [InlineData("a+2f")]        // not canonical: lower-case hex
    [InlineData("a b")]
    [InlineData("a+41")]        // not canonical: 'A' is never encoded
    [InlineData("+FF")]         // not UTF-8
    public void Invalid_encodings_are_rejected(string encoded) => Assert.False(NameCodec.TryDecode(encoded, out _));

    [Theory]
    [MemberData(nameof(Names))]
    public void Dump_archive_names_round_trip(string db)
    {
        var t = new DateTimeOffset(2026, 11, 25, 11, 47, 0, TimeSpan.Zero);
        var name = new ArchiveName("db-01.example.com", "15-main", 15, ArchiveName.DumpKind, db, t);
        var text = name.ToString();
        Assert.True(text.All(c => c is > ' ' and < (char)127 && c != '/'), text);
        Assert.StartsWith("db-01.example.com~15-main~pg15~dump~", text);
        Assert.EndsWith("~20261125T114700Z", text);
        Assert.True(ArchiveName.TryParse(text, out var back));
        Assert.Equal(name, back);
        Assert.True(ArchiveName.TryParse(name.AsPartial().ToString(), out var partial));
        Assert.True(partial.IsPartial);
        Assert.Equal(name, partial.AsFinal());
    }

    [Fact]
    public void Globals_archive_names_round_trip()
    {
        var name = new ArchiveName("h", "main", 15, ArchiveName.GlobalsKind, (string?)null, DateTimeOffset.UnixEpoch);
        Assert.Equal("h~main~pg15~globals~19700101T000000Z", name.ToString());
        Assert.True(ArchiveName.TryParse(name.ToString(), out var back));
        Assert.Equal(name, back);
    }

    [Theory]
    [InlineData("h~main~pg15~dump~db")]
    [InlineData("h~main~15~dump~db~20261125T114700Z")]
    [InlineData("h~main~pg15~other~db~20261125T114700Z")]
    [InlineData("h~main~pg15~dump~db~2026-11-25")]
    [InlineData("h~main~pg15~globals~x~20261125T114700Z")]
    [InlineData("h~main~pg15~dump~db~20261125T114700Z.checkpoint")]
    public void Foreign_names_are_not_taken_for_dumps(string name) => Assert.False(ArchiveName.TryParse(name, out _));

    [Fact]
    public void Stamps_are_utc_whatever_the_offset()
    {
        Assert.Equal("20261125T104700Z", Stamp.Of(new DateTimeOffset(2026, 11, 25, 11, 47, 0, TimeSpan.FromHours(1))));
        Assert.True(Stamp.TryParse("20261125T104700Z", out var t));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 10, 47, 0, TimeSpan.Zero), t);
    }
}
