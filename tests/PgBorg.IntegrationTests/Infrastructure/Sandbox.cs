namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// One test's world: a temporary directory with a configuration file (0600), a state directory and a Borg
/// repository path (created by pgborg itself on first use). Runs the published binary and real Borg against them.
/// </summary>
public sealed class Sandbox : IDisposable
{
    public const string Passphrase = "correct horse battery staple";
    private readonly TempDir _dir = new("pgborg-sandbox");

    public string Root => _dir.Path;
    public string ConfigPath => _dir.Sub("pgborg.toml");
    public string StateDirectory => _dir.Sub("state");
    public string Repository => _dir.Sub("repo");

    public string Sub(string name) => _dir.Sub(name);

    /// <summary>[dump] keep rules under which, of several rounds within the hour, only the newest dump of each database stays.</summary>
    public const string KeepNewestOfTheHour = """
        keep_within = "0s"
        keep_hourly = 1
        keep_daily = 0
        keep_weekly = 0
        keep_monthly = 0
        keep_yearly = 0
        """;

    /// <summary>A configuration for one explicit instance (discovery off) and a dump repository.</summary>
    public string DumpConfig(PostgresCluster cluster, string extraInstance = "", string extraDump = "", string instance = "main") => $"""
        state_directory = "{StateDirectory}"

        [discovery]
        debian = false
        systemd = false

        [instances.{instance}]
        data_directory = "{cluster.DataDirectory}"
        {extraInstance}

        [dump]
        repository = "{Repository}"
        passphrase = "{Passphrase}"
        interval = "1h"
        {extraDump}
        """;

    /// <summary>A configuration for archiving one explicit instance.</summary>
    public string ArchiveConfig(PostgresCluster cluster, string snapshot = "direct", string extraArchive = "", string extraInstance = "") => $$"""
        state_directory = "{{StateDirectory}}"

        [discovery]
        debian = false
        systemd = false

        [instances.main]
        data_directory = "{{cluster.DataDirectory}}"
        {{extraInstance}}

        [archive]
        repository = "{{Repository}}"
        passphrase = "{{Passphrase}}"
        snapshot = "{{snapshot}}"
        ingest_interval = "1s"
        {{extraArchive}}
        """;

    public void WriteConfig(string toml, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        File.WriteAllText(ConfigPath, toml);
        File.SetUnixFileMode(ConfigPath, mode);
    }

    public Task<RunResult> PgBorgAsync(params string[] args) => PgBorgAsync(args, null);

    public Task<RunResult> PgBorgAsync(string[] args, IDictionary<string, string>? env, string? workingDirectory = null, TimeSpan? timeout = null, string? program = null)
    {
        var e = new Dictionary<string, string> { ["PGBORG_CONFIG"] = ConfigPath };
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                e[k] = v;
            }
        }
        return Run.ProgramAsync(program ?? PgBorgBinary.Path, args, e, workingDirectory, timeout);
    }

    /// <summary>One round of pgcad (<c>pgcad --once</c>, given up to 4 minutes), which must succeed.</summary>
    public Task<RunResult> PgcadOnceAsync(params string[] extra) => PgcadOnceWithAsync(null, extra);

    /// <summary>One round of pgcad with <paramref name="env"/> added to its environment, which must succeed.</summary>
    public async Task<RunResult> PgcadOnceWithAsync(IDictionary<string, string>? env, params string[] extra)
    {
        var r = await PgBorgAsync(["pgcad", "--once", .. extra], env, timeout: TimeSpan.FromMinutes(4));
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    /// <summary>Where pgcad puts WAL by default: the archive repository's path with "-wal" appended.</summary>
    public string WalRepository => Repository + "-wal";

    /// <summary>Real Borg on the sandbox repository, with the same state directory pgborg uses.</summary>
    public Task<RunResult> BorgAsync(params string[] args) => BorgOnAsync(Repository, args);

    /// <summary>Real Borg on the sandbox's WAL repository.</summary>
    public Task<RunResult> WalBorgAsync(params string[] args) => BorgOnAsync(WalRepository, args);

    /// <summary>Real Borg on the sandbox's WAL repository, run in <paramref name="workingDirectory"/> (what create stores and extract writes).</summary>
    public Task<RunResult> WalBorgInAsync(string workingDirectory, params string[] args) => BorgOnAsync(WalRepository, args, workingDirectory);

    /// <summary>
    /// Real Borg on a repository by its local path, with the state directory pgborg uses, or <paramref name="aside"/>
    /// one of the test's own: Borg records where it last opened a repository, and pgborg, which refuses a repository that
    /// "moved", must not find the local path there when it reaches the repository through ssh://.
    /// </summary>
    public Task<RunResult> BorgOnAsync(string repository, string[] args, string? workingDirectory = null, bool aside = false) =>
        Run.ProgramAsync("/usr/bin/borg", args, new Dictionary<string, string>
        {
            ["BORG_PASSPHRASE"] = Passphrase,
            ["BORG_BASE_DIR"] = aside ? Sub("borg-aside") : System.IO.Path.Combine(StateDirectory, "borg"),
            ["BORG_REPO"] = repository,
            // the same repository by its local path when pgborg reached it through borg serve (RemoteRepositoryTests)
            ["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "yes",
            // a test's look at the repository is not what is tested: Borg's self test runs in pgborg's own commands
            ["BORG_SELFTEST"] = "disabled",
            ["LANG"] = "C.UTF-8",
            ["LC_ALL"] = "C.UTF-8",
        }, workingDirectory);

    /// <summary>All archive names in the repository and the WAL repository (if it exists), checkpoints included.</summary>
    public async Task<List<string>> ArchiveNamesAsync()
    {
        var names = new List<string>();
        foreach (var wal in new[] { false, true })
        {
            if (wal && !File.Exists(System.IO.Path.Combine(WalRepository, "config")))
            {
                continue;
            }
            var r = wal ? await WalBorgAsync("list", "--consider-checkpoints", "--short") : await BorgAsync("list", "--consider-checkpoints", "--short");
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException($"borg list failed: {r}");
            }
            names.AddRange(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        return names;
    }

    /// <summary>The bytes of the repository's segment files: what a <c>borg compact</c> shrinks.</summary>
    public long RepositoryBytes() =>
        new DirectoryInfo(System.IO.Path.Combine(Repository, "data")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    public void Dispose() => _dir.Dispose();
}
