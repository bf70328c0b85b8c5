using System.Text.RegularExpressions;

namespace PgBorg.Processes;

/// <summary>
/// The temporary file a writer fills before renaming it over the file it replaces: beside it, named
/// <c>PREFIX.&lt;32 hex&gt;.tmp</c>, a name nobody can guess and each writer's own. A writer killed between create and
/// rename leaves it behind; <see cref="RemoveLeftovers"/> removes those, so they do not pile up over months.
/// </summary>
public static class TemporarySibling
{
    /// <summary>A write takes milliseconds: a temporary file older than this is a killed writer's.</summary>
    public static readonly TimeSpan LeftoverAge = TimeSpan.FromHours(1);

    /// <summary>A new temporary name in <paramref name="directory"/>; create it with O_EXCL (FileMode.CreateNew).</summary>
    public static string PathFor(string directory, string prefix) => Path.Combine(directory, $"{prefix}.{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Removes the temporary files of <paramref name="prefix"/> older than <see cref="LeftoverAge"/>, and only names of
    /// that exact form (a longer name the glob also matches is another file's). Removing one is unlink(2) of a name in
    /// this directory: a link there is removed, never followed. One that cannot be removed is left for the next write.
    /// </summary>
    public static void RemoveLeftovers(string directory, string prefix)
    {
        var ours = new Regex($"^{Regex.Escape(prefix)}\\.[0-9a-f]{{32}}\\.tmp$", RegexOptions.CultureInvariant);
        List<string> candidates;
        try
        {
            candidates = [.. Directory.EnumerateFiles(directory, prefix + ".*.tmp").Where(f => ours.IsMatch(Path.GetFileName(f)))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // the directory cannot be listed now: tried again at the next write
        }
        foreach (var leftover in candidates)
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(leftover) > LeftoverAge)
                {
                    File.Delete(leftover);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // another writer removed it first, or it cannot be removed: tried again at the next write
            }
        }
    }
}
