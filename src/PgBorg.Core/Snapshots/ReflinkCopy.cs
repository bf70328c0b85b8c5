using System.Text.RegularExpressions;
using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>
/// <c>cp -a --reflink=always</c> of a live directory. A file that PostgreSQL deletes while cp walks the tree
/// (a temporary file, a dropped relation, a recycled WAL segment) is not an error: backup mode and WAL replay make
/// the copy consistent without it, as with pg_basebackup. cp then exits 1 having said only "No such file or
/// directory" about paths below the source; any other message is a failure.
/// </summary>
internal static class ReflinkCopy
{
    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/>; returns the files that vanished meanwhile (relative paths, at most a few).</summary>
    public static async Task<(int Count, IReadOnlyList<string> Examples)> RunAsync(string cp, string source, string target, CancellationToken ct)
    {
        var vanished = new List<string>();
        var count = 0;
        var otherErrors = false;
        void OnStderrLine(string line)
        {
            if (VanishedPath(line, cp, source) is { } path)
            {
                count++;
                if (vanished.Count < 5)
                {
                    vanished.Add(path);
                }
            }
            else
            {
                otherErrors = true;
            }
        }

        // -a keeps owners, modes, times and links; -T makes TARGET the copy itself, never a directory to copy into
        var spec = SnapshotTools.Spec(cp, ["-a", "--reflink=always", "--no-dereference", "-T", "--", source, target]);
        ProcessResult r;
        try
        {
            r = await ChildProcess.RunAsync(spec, ct, OnStderrLine).ConfigureAwait(false);
        }
        catch (ProcessFailedException e)
        {
            throw new SnapshotException($"reflink copy of {source} to {target} failed: {e.Message}", e);
        }
        if (r.ExitCode == 0 || (r.ExitCode == 1 && count > 0 && !otherErrors))
        {
            return (count, vanished);
        }
        throw new SnapshotException($"reflink copy of {source} to {target} failed: {ProcessFailedException.Describe(cp, r.ExitCode, r.StderrTail)}");
    }

    /// <summary>
    /// The path below <paramref name="source"/> that <paramref name="line"/> says vanished, or null if the line says anything else.
    /// GNU cp (named as started, <paramref name="cp"/>) writes "cannot stat 'X'", "cannot open 'X' for reading" (files) and "'X'" or "‘X’" (directories, locale quotes).
    /// </summary>
    internal static string? VanishedPath(string line, string cp, string source)
    {
        var pattern = $"\\A(?:{Regex.Escape(cp)}|cp): (?:cannot (?:stat|open|access) )?['\u2018]{Regex.Escape(source)}/(?<path>[^'\u2019]+)['\u2019](?: for reading)?: No such file or directory\\z";
        var m = Regex.Match(line, pattern, RegexOptions.CultureInvariant);
        return m.Success ? m.Groups["path"].Value : null;
    }
}
