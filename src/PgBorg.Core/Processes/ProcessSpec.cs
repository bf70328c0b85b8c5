namespace PgBorg.Processes;

/// <summary>
/// What to run: an absolute program path and its arguments (never a command string), the complete
/// environment of the child (nothing is inherited unless listed), and the account it runs as.
/// </summary>
public sealed record ProcessSpec(string Program, IReadOnlyList<string> Arguments)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Run as this account (through setpriv when we are root). Null: run as ourselves.</summary>
    public OsUser? RunAs { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Give the child read/search access to every file (CAP_DAC_READ_SEARCH), for a command run
    /// as the service user in a directory only root can read. Only honoured when we are root.</summary>
    public bool KeepReadAccess { get; init; }

    /// <summary>
    /// The child gets SIGTERM when its parent dies (<c>setpriv --pdeathsig</c>). Only for a program that another program
    /// starts for us (the dump Borg runs): if that parent dies, nobody else would stop it. Never for our own children:
    /// the signal follows the thread that forked, and .NET starts processes from pool threads that may end.
    /// </summary>
    public bool DieWithParent { get; init; }

    /// <summary>
    /// Run in a mount namespace of its own, where <see cref="WorkingDirectory"/> (a directory root holds open, reached as
    /// <c>/proc/PID/fd/N</c>) is bind-mounted at this path, a directory only root can reach, and work there
    /// (<see cref="MountIsolation"/>). A program that turns its working directory into a path when it starts, as Borg
    /// does, then holds a path nobody else can change. Only honoured when we are root.
    /// </summary>
    public string? IsolatedAt { get; init; }

    public string DisplayName => Path.GetFileName(Program);

    /// <summary>
    /// A program run as <paramref name="user"/> (the service user) with the small environment every such helper gets:
    /// the system's PATH, a UTF-8 locale, the user's home, and a working directory that user can enter.
    /// </summary>
    public static ProcessSpec AsUser(OsUser user, string program, IReadOnlyList<string> arguments, string workingDirectory = "/") =>
        new(program, arguments)
        {
            RunAs = user,
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["LANG"] = "C.UTF-8", ["HOME"] = user.Home },
            WorkingDirectory = workingDirectory,
        };
}
