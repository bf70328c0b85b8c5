using PgBorg.Processes;

namespace PgBorg.Snapshots;

/// <summary>The programs the snapshot methods run (absolute paths, argument lists, a fixed small environment) and the one recursive delete.</summary>
internal static class SnapshotTools
{
    public static readonly string[] BtrfsCandidates = ["/usr/bin/btrfs", "/sbin/btrfs", "/usr/sbin/btrfs", "/bin/btrfs"];
    public static readonly string[] CpCandidates = ["/usr/bin/cp", "/bin/cp"];
    public static readonly string[] RmCandidates = ["/usr/bin/rm", "/bin/rm"];

    public static string? Btrfs => Find(BtrfsCandidates);

    public static string? Cp => Find(CpCandidates);

    public static string? Find(IEnumerable<string> candidates) => candidates.FirstOrDefault(File.Exists);

    private static readonly Dictionary<string, string> Environment = new(StringComparer.Ordinal)
    {
        ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin",
        ["LANG"] = "C.UTF-8",
        ["LC_ALL"] = "C.UTF-8",
    };

    /// <summary>Runs a program to completion; returns its result (the caller decides what a non-zero exit means).</summary>
    public static Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken ct) =>
        ChildProcess.RunAsync(Spec(program, arguments), ct);

    public static ProcessSpec Spec(string program, IReadOnlyList<string> arguments) =>
        new(program, arguments) { Environment = Environment, WorkingDirectory = "/" };

    /// <summary>Runs a program and throws a <see cref="SnapshotException"/> starting with <paramref name="what"/> unless it exits 0.</summary>
    public static async Task<string> RunCheckedAsync(string what, string program, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        ProcessResult r;
        try
        {
            r = await RunAsync(program, arguments, ct).ConfigureAwait(false);
        }
        catch (ProcessFailedException e)
        {
            throw new SnapshotException($"{what} failed: {e.Message}", e);
        }
        if (r.ExitCode != 0)
        {
            throw new SnapshotException($"{what} failed: {ProcessFailedException.Describe(program, r.ExitCode, r.StderrTail)}");
        }
        return r.Stdout;
    }

    /// <summary>
    /// Deletes a snapshot copy recursively with <c>rm -rf --one-file-system</c>: symlinks are removed, never followed
    /// (a copied data directory holds pg_tblspc links to the live tablespaces), and nothing on another filesystem or
    /// btrfs subvolume below it is touched. Only a path named like a snapshot is accepted.
    /// </summary>
    public static async Task RemoveTreeAsync(string path, CancellationToken ct)
    {
        SnapshotNames.RequireSnapshotPath(path, "reflink");
        if (FileStatus.OfEntry(path) is not { } st)
        {
            return;
        }
        if (st.IsSymlink || !st.IsDirectory)
        {
            throw new SnapshotException($"refusing to delete {path}: it is not a directory (a snapshot is always a directory)");
        }
        var rm = Find(RmCandidates) ?? throw new SnapshotException("cannot delete snapshot copies: rm not found in /usr/bin or /bin");
        await RunCheckedAsync($"deleting snapshot copy {path}", rm, ["-rf", "--one-file-system", "--", path], ct).ConfigureAwait(false);
        if (FilesystemProbe.Exists(path))
        {
            throw new SnapshotException($"deleting snapshot copy {path} failed: it still exists (something below it on another filesystem?)");
        }
    }

    /// <summary>Removes a half-made snapshot after <paramref name="failure"/>; if that fails too, says so without losing the first cause.</summary>
    public static async Task UndoAsync(string target, Func<Task> remove, Exception failure)
    {
        try
        {
            await remove().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SnapshotException or ProcessFailedException or IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException($"{failure.Message}; removing the half-made snapshot {target} failed too: {e.Message}", failure);
        }
    }
}
