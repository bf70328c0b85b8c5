using PgBorg.Borg;

namespace PgBorg.Tests;

/// <summary>A repository's config file is read as Borg's configparser reads it, or left to <c>borg config</c>.</summary>
public sealed class RepositoryConfigFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgborg-repoconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private bool? AppendOnly(string config)
    {
        File.WriteAllText(Path.Combine(_dir, "config"), config);
        return RepositoryConfigFile.AppendOnly(_dir);
    }

    // what borg init 1.2.4 writes, with the value in the middle
    private const string Written = "[repository]\nversion = 1\nsegments_per_dir = 1000\nmax_segment_size = 524288000\nappend_only = {0}\n"
        + "storage_quota = 0\nadditional_free_space = 0\nid = 3c1b\nkey = aGVsbG8=\n\taGVsbG8=\n\n";

    [Theory]
    [InlineData("0", false)]
    [InlineData("1", true)]
    [InlineData("True", true)]
    [InlineData("off", false)]
    [InlineData("2", null)]
    public void The_value_Borg_wrote_or_an_administrator_set_is_read_as_configparser_reads_it(string value, bool? expected) =>
        Assert.Equal(expected, AppendOnly(string.Format(System.Globalization.CultureInfo.InvariantCulture, Written, value)));

    [Fact]
    public void Hand_edits_in_configparsers_other_forms_are_read_and_anything_doubtful_is_left_to_borg_config()
    {
        Assert.True(AppendOnly("# set by hand\n[repository]\nversion = 1\n; comment\nAppend_Only: yes\n"));
        Assert.False(AppendOnly("[repository]\nversion = 1\n"));
        Assert.False(AppendOnly("[other]\nappend_only = 1\n[repository]\nversion = 1\n"));
        Assert.Null(AppendOnly("[repository]\nappend_only = 1\nappend_only = 0\n"));
        Assert.Null(AppendOnly("[repository]\nappend_only = 1\n  0\n"));
        Assert.Null(AppendOnly("not a repository config\n"));
        // configparser reads an indented line as an option unless it is indented deeper than an option above it
        Assert.True(AppendOnly("[repository]\n\tversion = 1\n\tsegments_per_dir = 1000\n\tappend_only = 1\n\tid = ab\n"));
        Assert.True(AppendOnly("  [repository]\n  version = 1\n  append_only = 1\n"));
        Assert.True(AppendOnly("[repository]\n  append_only = 1\nversion = 1\n"));
        // ... and one indented deeper than the option above it continues that value: Borg sees no append_only here
        Assert.False(AppendOnly("[repository]\nversion = 1\n  append_only = 1\n"));
        // every section inherits [DEFAULT]'s options
        Assert.Null(AppendOnly("[DEFAULT]\nappend_only = 1\n[repository]\nversion = 1\n"));
        Assert.Null(AppendOnly("append_only = 1\n[repository]\nversion = 1\n"));
        File.Delete(Path.Combine(_dir, "config"));
        Assert.Null(RepositoryConfigFile.AppendOnly(_dir));
    }
}
