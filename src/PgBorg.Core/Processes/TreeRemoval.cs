namespace PgBorg.Processes;

/// <summary>
/// Removing a tree in a directory the service user can change (a spool, a restore's staging, a probe). Root walking
/// such a tree could be led by a link swapped in on the way to delete files of its own, so the tree's owner removes
/// it; only a tree root still owns (made by a process killed before it gave it away) is removed by root, with GNU rm,
/// which never follows a link put in place of a directory. Never cancelled halfway: a half-removed spool or staging
/// directory is worse than one left whole.
/// </summary>
public static class TreeRemoval
{
    private const string Rm = "/bin/rm";

    /// <summary><c>rm -rf -- PATHS</c> as <paramref name="user"/>; what it could not remove stays, and the result says why.</summary>
    public static Task<ProcessResult> AsUserAsync(OsUser user, IReadOnlyList<string> paths) =>
        ChildProcess.RunAsync(ProcessSpec.AsUser(user, Rm, ["-rf", "--", .. paths]), CancellationToken.None);

    /// <summary>A tree of root's own, not crossing into another filesystem; throws if any of it stays.</summary>
    public static async Task AsRootAsync(string path) =>
        (await ChildProcess.RunAsync(new ProcessSpec(Rm, ["-rf", "--one-file-system", "--", path]) { WorkingDirectory = "/" },
            CancellationToken.None).ConfigureAwait(false)).EnsureSuccess();
}
