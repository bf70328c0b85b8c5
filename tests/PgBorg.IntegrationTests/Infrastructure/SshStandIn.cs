namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// A stand-in for ssh as <c>BORG_RSH</c> (there is no sshd here): drops ssh's options and the host and runs the remote
/// command — the real <c>borg serve</c> — on this machine, so everything between pgborg and the repository goes through
/// Borg's remote protocol. It logs each connection, and refuses them (exit 255, as ssh does) while <see cref="Refusing"/>.
/// </summary>
public sealed class SshStandIn
{
    public const string Host = "pgborg-remote";
    private readonly Sandbox _sandbox;

    /// <param name="serveOptions">Added to the remote command, as a forced command in authorized_keys would (e.g. <c>--append-only</c>).</param>
    public SshStandIn(Sandbox sandbox, string serveOptions = "")
    {
        _sandbox = sandbox;
        Write(serveOptions);
    }

    public string Path => _sandbox.Sub("fake-ssh");
    private string Log => _sandbox.Sub("fake-ssh.log");
    private string RefuseFlag => _sandbox.Sub("fake-ssh.refuse");

    /// <summary>The <c>ssh://</c> location of a local repository path, reached through this stand-in.</summary>
    public static string Location(string repository) => $"ssh://{Host}{repository}";

    /// <summary>
    /// <paramref name="config"/> with <c>repository = "LOCAL"</c> turned into its <c>ssh://</c> location through this stand-in.
    /// </summary>
    public string Remote(string config, string repository) =>
        config.Replace($"repository = \"{repository}\"", $"repository = \"{Location(repository)}\"\nenvironment = {{ BORG_RSH = \"{Path}\" }}",
            StringComparison.Ordinal);

    /// <summary>Each connection so far: the user, the host and the remote command.</summary>
    public string[] Served() => File.Exists(Log) ? File.ReadAllLines(Log) : [];

    /// <summary>While true, every new connection fails as a refused one does (the backup server is down).</summary>
    public bool Refusing
    {
        get => File.Exists(RefuseFlag);
        set
        {
            if (value)
            {
                File.WriteAllText(RefuseFlag, "");
            }
            else
            {
                File.Delete(RefuseFlag);
            }
        }
    }

    public void Write(string serveOptions)
    {
        File.WriteAllText(Path, $$"""
            #!/bin/sh
            if [ -e '{{RefuseFlag}}' ]; then
              echo "ssh: connect to host {{Host}} port 22: Connection refused" >&2
              exit 255
            fi
            while [ $# -gt 0 ]; do
              case "$1" in
                -p|-o|-i|-l) shift 2 ;;
                -*) shift ;;
                *) echo "$(id -un) $*{{(serveOptions.Length > 0 ? " " + serveOptions : "")}}" >> '{{Log}}' 2>/dev/null; shift; break ;;
              esac
            done
            exec "$@" {{serveOptions}}
            """);
        File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
    }
}
