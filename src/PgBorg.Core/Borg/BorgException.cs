namespace PgBorg.Borg;

/// <summary>Borg said no. Carries the Borg command, exit code, Borg's message id (e.g. <c>PassphraseWrong</c>) and its message.</summary>
public sealed class BorgException(string command, string repository, int exitCode, string? msgId, string detail)
    : Exception(Describe(command, repository, exitCode, msgId, detail))
{
    public string Command { get; } = command;
    public int ExitCode { get; } = exitCode;
    public string? MsgId { get; } = msgId;

    /// <summary>Borg's message id when it gave up waiting for the repository lock (<c>--lock-wait</c> passed).</summary>
    public const string LockTimeoutId = "LockTimeout";

    /// <summary>Borg's message id for a create under a name that is taken.</summary>
    public const string ArchiveExistsId = "Archive.AlreadyExists";

    /// <summary>Another process held the repository lock for longer than this attempt waited; nothing was done.</summary>
    public bool IsLockTimeout => MsgId == LockTimeoutId;

    private static string Describe(string command, string repository, int exitCode, string? msgId, string detail)
    {
        var what = msgId switch
        {
            "PassphraseWrong" => "wrong passphrase (check passphrase/passcommand)",
            "Repository.DoesNotExist" => "the repository does not exist",
            "Repository.InvalidRepository" => "this is not a valid Borg repository",
            LockTimeoutId => "the repository is locked by another Borg process (lock_wait exceeded)",
            "ConnectionClosed" or "ConnectionClosedWithHint" => "the connection to the repository was closed",
            "Cache.RepositoryAccessAborted" => "Borg would not go on without a confirmation",
            _ => null,
        };
        var reason = detail.Trim();
        if (what is not null)
        {
            reason = reason.Length == 0 ? what : $"{what}: {reason}";
        }
        if (reason.Length == 0)
        {
            reason = exitCode > 128 ? $"killed by signal {exitCode - 128}" : $"exit code {exitCode}";
        }
        return $"borg {command} failed on repository {repository}: {reason}";
    }
}
