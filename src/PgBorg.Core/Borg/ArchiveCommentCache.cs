using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgBorg.Borg;

/// <summary>
/// Archive comments already read from one repository, for one archive glob, kept in the state directory so that a
/// listing with comments reads from Borg only the archives added since. Borg reads a comment from the archive's own
/// metadata object, 0.05–0.1 ms per archive of the listing (BORG.md, "At scale"), where the names and ids come from
/// the manifest alone. The cache is keyed on the archive id, Borg's hash of that metadata (keyed with the repository's
/// key when it is encrypted), comment included: one id is one metadata object, byte for byte, and a comment replaced
/// by <c>borg recreate</c> comes with a new id. The cache can therefore only lack entries, never hold a wrong one: the
/// Borg listing stays the one owner of the state, and losing this file costs one full listing.
/// </summary>
internal sealed class ArchiveCommentCache
{
    private readonly string _path;
    private CacheFile _file;

    private ArchiveCommentCache(string path, CacheFile file)
    {
        _path = path;
        _file = file;
    }

    /// <summary>The archive count of the listing last saved (0 when nothing was saved).</summary>
    public int ArchivesLastSeen => _file.Archives;

    /// <summary>The cache of <paramref name="glob"/> in <paramref name="location"/>; empty when there is none or it cannot be read.</summary>
    public static ArchiveCommentCache Open(string stateDirectory, string location, string glob)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(location + "\n" + glob)))[..32];
        var path = Path.Combine(stateDirectory, Directory, key + ".json");
        CacheFile? file = null;
        try
        {
            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize(stream, Json.CacheFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // none yet, or unreadable: the listing reads every comment once and writes it again
        }
        return new ArchiveCommentCache(path, file is { Comments: not null } ? file : CacheFile.Empty);
    }

    /// <summary>The directory under the state directory.</summary>
    public const string Directory = "comment-cache";

    public bool Has(BorgArchiveEntry a) => a.Id is not null && _file.Comments.ContainsKey(a.Id);

    /// <summary>The entry with its cached comment, or as it is.</summary>
    public BorgArchiveEntry Fill(BorgArchiveEntry a) => a.Id is not null && _file.Comments.TryGetValue(a.Id, out var c) ? a with { Comment = c } : a;

    public void Add(IEnumerable<BorgArchiveEntry> withComments)
    {
        foreach (var a in withComments)
        {
            if (a.Id is not null && a.Comment is not null && _file.Comments.TryAdd(a.Id, a.Comment))
            {
                _changed = true;
            }
        }
    }

    private bool _changed;

    /// <summary>
    /// Keeps the entries of <paramref name="listing"/> (every archive the glob matches now) and, when that changed
    /// anything, writes the file atomically, readable by root only (comments describe the data, as Borg's own cache
    /// does). A failure to write costs only time: it is ignored.
    /// </summary>
    public void Save(IReadOnlyCollection<BorgArchiveEntry> listing)
    {
        var keep = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in listing)
        {
            if (a.Id is not null && _file.Comments.TryGetValue(a.Id, out var c))
            {
                keep[a.Id] = c;
            }
        }
        if (!_changed && keep.Count == _file.Comments.Count && listing.Count == _file.Archives)
        {
            return;
        }
        _file = _file with { Archives = listing.Count, Comments = keep };
        _changed = false;
        // unique per writer: two listings of one process, or two processes, never write into one temporary file
        var directory = Path.GetDirectoryName(_path)!;
        var temporary = Processes.TemporarySibling.PathFor(directory, Path.GetFileName(_path));
        try
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, _file, Json.CacheFile);
            }
            File.Move(temporary, _path, overwrite: true);
            // killed writers' temporary files can be tens of MB each at 100k archives
            Processes.TemporarySibling.RemoveLeftovers(directory, Path.GetFileName(_path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // nothing was written, or the directory cannot be written at all
            }
        }
    }

    /// <summary>Comments are JSON themselves: escaped as JSON needs (\"), not as HTML would (\u0022), a third of the size.</summary>
    private static readonly CommentCacheJsonContext Json = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    internal sealed record CacheFile(
        [property: JsonPropertyName("archives")] int Archives,
        [property: JsonPropertyName("comments")] Dictionary<string, string> Comments)
    {
        public static CacheFile Empty => new(0, new Dictionary<string, string>(StringComparer.Ordinal));
    }
}
