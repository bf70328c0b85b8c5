using System.Text.Json;
using Microsoft.Extensions.Logging;
using PgBorg.Configuration;
using PgBorg.Processes;

namespace PgBorg.Borg;

/// <summary>
/// The one place that runs Borg (1.2 dialect). Every invocation: absolute program, ArgumentList (never a shell),
/// a complete environment we chose (TZ=UTC, UTF-8 locale, Borg's cache/config/keys under the state directory,
/// the passphrase only in the environment), stdin closed unless we stream into it, a deliberate --lock-wait,
/// and --log-json so errors are classified by Borg's message id. Exit code 1 is a warning, not a failure, except where
/// a warning means an archive lacks something it was asked to store (<see cref="CreateFromPathsAsync"/>).
/// </summary>
public sealed partial class BorgRepository
{
    private readonly RepositorySettings _settings;
    private readonly string _stateDirectory;
    private readonly ILogger _log;

    public BorgRepository(RepositorySettings settings, string stateDirectory, ILogger log)
    {
        _settings = settings;
        _stateDirectory = stateDirectory;
        _log = log;
    }

    public string Location => _settings.Location;

    public RepositorySettings Settings => _settings;

    /// <summary>Where Borg's cache, config and security files live (BORG_BASE_DIR).</summary>
    public string StateDirectory => _stateDirectory;

    /// <summary>The Borg executable: <c>PGBORG_BORG</c> if set (tests use a fake for error paths), else the first borg on PATH.</summary>
    public static string Executable =>
        Environment.GetEnvironmentVariable("PGBORG_BORG") is { Length: > 0 } b ? b : FindOnPath("borg") ?? "/usr/bin/borg";

    internal static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>A local path (not <c>ssh://</c> and not scp-style <c>user@host:path</c>).</summary>
    internal bool IsLocal
    {
        get
        {
            var loc = _settings.Location;
            if (loc.StartsWith("ssh://", StringComparison.Ordinal))
            {
                return false;
            }
            var colon = loc.IndexOf(':');
            var slash = loc.IndexOf('/');
            return colon < 0 || (slash >= 0 && slash < colon);
        }
    }

    internal Dictionary<string, string> BuildEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = BaseDirectory,
            ["LANG"] = "C.UTF-8",
            ["LC_ALL"] = "C.UTF-8",
            ["TZ"] = "UTC",
            ["BORG_BASE_DIR"] = BaseDirectory,
            ["BORG_REPO"] = _settings.Location,
            ["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "no",
            ["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] = "no",
            ["BORG_DISPLAY_PASSPHRASE"] = "no",
        };
        foreach (var pass in new[] { "SSH_AUTH_SOCK" })
        {
            if (Environment.GetEnvironmentVariable(pass) is { } v)
            {
                env[pass] = v;
            }
        }
        foreach (var (k, v) in _settings.Environment)
        {
            env[k] = v;
        }
        if (_settings.Passphrase is not null)
        {
            env["BORG_PASSPHRASE"] = _settings.Passphrase;
        }
        else if (_settings.PassCommand is not null)
        {
            env["BORG_PASSCOMMAND"] = _settings.PassCommand;
        }
        else
        {
            // no prompt ever: an encrypted repository without a passphrase fails with PassphraseWrong
            env["BORG_PASSPHRASE"] = "";
        }
        return env;
    }

    /// <summary>
    /// How long one Borg process waits for a lock. Borg 1.2 polls a held lock every tenth of --lock-wait, so a long wait
    /// (lock_wait = 10min) would also mean a minute's sleep whenever two of our own Borg processes touch the lock
    /// roster at the same moment. Each attempt therefore waits at most 5 s (polling every 0.5 s) and
    /// <see cref="RunAsync"/> retries until lock_wait has passed.
    /// </summary>
    internal int AttemptLockWaitSeconds => (int)Math.Clamp(_settings.LockWait.TotalSeconds, 1, 5);

    /// <summary>Attempts that wait only 1 s (polling every 0.1 s) before the longer ones; each attempt is a new Borg process.</summary>
    internal const int QuickLockAttempts = 3;

    /// <summary>Common arguments: the subcommand, machine-readable logging and a deliberate lock wait.</summary>
    private List<string> Args(string command, bool locks = true, bool wholeLockWait = false, bool quickLock = false)
    {
        var args = new List<string> { command, "--log-json" };
        if (locks)
        {
            var seconds = quickLock ? 1 : wholeLockWait ? (int)Math.Max(1, _settings.LockWait.TotalSeconds) : AttemptLockWaitSeconds;
            args.Add("--lock-wait");
            args.Add(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return args;
    }

    /// <summary>BORG_BASE_DIR: where Borg keeps its cache, config and keys, and <see cref="BorgSelfTest"/> its marker.</summary>
    private string BaseDirectory => Path.Combine(_stateDirectory, "borg");

    private ProcessSpec Spec(List<string> args) => Spec(args, runAs: null).Spec;

    /// <summary>
    /// The process of a Borg command, and the identity of the executable when this command runs Borg's self test and
    /// may record that it passed (<see cref="BorgSelfTest"/>; null when it skips the test, or runs as another user,
    /// whose directories are not ours to keep a marker in).
    /// </summary>
    private (ProcessSpec Spec, string? SelfTesting) Spec(List<string> args, OsUser? runAs)
    {
        var environment = BuildEnvironment();
        string? selfTesting = null;
        if (runAs is null && !environment.ContainsKey(BorgSelfTest.Variable) && BorgSelfTest.IdentityOf(Executable) is { } identity)
        {
            if (BorgSelfTest.Passed(BaseDirectory, identity, DateTime.UtcNow))
            {
                environment[BorgSelfTest.Variable] = "disabled";
            }
            else
            {
                selfTesting = identity;
            }
        }
        return (new(Executable, args) { Environment = environment, WorkingDirectory = "/", RunAs = runAs }, selfTesting);
    }

    /// <summary>
    /// Runs a Borg command to completion. rc 0 and 1 (warning) succeed; anything else is a <see cref="BorgException"/>.
    /// A lock held by another process is waited for (in short attempts) until lock_wait has passed.
    /// </summary>
    /// <param name="transfer">Gets Borg's byte counts when the command runs with <c>--progress</c> (create, extract).</param>
    /// <param name="lateFile">Fed into Borg's stdin once Borg reports it starts reading it (a create with <c>-</c> last).</param>
    private async Task<BorgRun> RunAsync(string command, List<string> args, CancellationToken ct, string? workingDirectory = null,
        Action? progress = null, OsUser? runAs = null, bool retryLock = true, IProgress<BorgTransfer>? transfer = null,
        IReadOnlyDictionary<string, string>? environment = null, BorgLateFile? lateFile = null, string? isolatedAt = null)
    {
        var deadline = retryLock ? DateTime.UtcNow + _settings.LockWait : DateTime.MinValue;
        var lockWaitAt = args.IndexOf("--lock-wait") + 1;
        for (var attempt = 0; ; attempt++)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var errors = new BorgStderr(_log, command)
            {
                OnProgress = progress,
                OnTransfer = transfer,
                OnFileStatus = (status, path) =>
                {
                    if (status == "i" && path == lateFile?.Name)
                    {
                        reached.TrySetResult();
                    }
                },
            };
            var attemptArgs = args;
            if (retryLock && lockWaitAt > 0 && attempt < QuickLockAttempts)
            {
                // the first attempts poll every 0.1 s: a lock held briefly (another of our Borg processes) is taken at once
                attemptArgs = [.. args];
                attemptArgs[lockWaitAt] = "1";
            }
            var (spec, selfTesting) = Spec(attemptArgs, runAs);
            spec = spec with { WorkingDirectory = workingDirectory ?? "/", IsolatedAt = isolatedAt };
            if (environment is not null)
            {
                var merged = new Dictionary<string, string>(spec.Environment);
                foreach (var (k, v) in environment)
                {
                    merged[k] = v;
                }
                spec = spec with { Environment = merged };
            }
            var result = lateFile is null
                ? await ChildProcess.RunAsync(spec, ct, errors.OnLine).ConfigureAwait(false)
                : await RunFeedingAsync(spec, errors, lateFile, reached.Task, ct).ConfigureAwait(false);
            BorgRun run;
            try
            {
                run = errors.Check(command, _settings.Location, result.ExitCode, result.Stdout);
            }
            catch (BorgException e) when (e.IsLockTimeout && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(attempt < QuickLockAttempts ? Random.Shared.Next(10, 60) : Random.Shared.Next(100, 500)), ct).ConfigureAwait(false);
                continue;
            }
            if (selfTesting is not null)
            {
                BorgSelfTest.Record(BaseDirectory, selfTesting, DateTime.UtcNow);
            }
            return run;
        }
    }

    /// <summary>
    /// Runs a create whose last path is stdin: once Borg says it reads <paramref name="lateFile"/> (<paramref name="reached"/>),
    /// its content is produced, written and stdin closed. Should producing it fail, Borg is stopped first: closing
    /// stdin would store an empty file and commit the archive. A Borg that fails before (a lock held elsewhere) never
    /// asked for the content, so the attempt can be repeated.
    /// </summary>
    private static async Task<ProcessResult> RunFeedingAsync(ProcessSpec spec, BorgStderr errors, BorgLateFile lateFile, Task reached, CancellationToken ct)
    {
        await using var child = ChildProcess.Start(spec, stdin: true, stdout: true, onStderrLine: errors.OnLine);
        using var reader = new StreamReader(child.StandardOutput, System.Text.Encoding.UTF8);
        var stdout = reader.ReadToEndAsync(ct);
        var exited = child.WaitAsync(ct);
        if (await Task.WhenAny(reached, exited).ConfigureAwait(false) == reached)
        {
            byte[] content;
            try
            {
                content = await lateFile.Content(ct).ConfigureAwait(false);
            }
            catch
            {
                await child.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                throw;
            }
            try
            {
                await child.StandardInput.WriteAsync(content, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Borg went away: its exit code and messages say why
            }
        }
        try
        {
            child.StandardInput.Close();
        }
        catch (IOException)
        {
            // likewise
        }
        var rc = await exited.ConfigureAwait(false);
        return new ProcessResult(spec.Program, rc, await stdout.ConfigureAwait(false), child.StderrTail);
    }

    /// <summary>What a Borg process left: its exit code, stdout, and the warnings it logged (why an exit code was 1).</summary>
    internal sealed record BorgRun(int ExitCode, string Stdout, IReadOnlyList<string> Warnings);

    /// <summary>Collects Borg's --log-json stderr: errors for the exception, warnings to our log.</summary>
    internal sealed class BorgStderr(ILogger log, string command)
    {
        private static int s_operations;
        private readonly int _operation = Interlocked.Increment(ref s_operations);
        private readonly List<string> _errors = [];
        private readonly List<string> _raw = [];
        private readonly List<string> _warnings = [];
        private string? _msgId;

        /// <summary>
        /// Called for every line Borg writes — progress lines (<c>--progress</c>) above all, but any output shows the
        /// operation is alive (e.g. cache transaction messages between an archive's progress lines).
        /// </summary>
        public Action? OnProgress { get; init; }

        /// <summary>Gets this process's byte counts from its progress lines (see <see cref="BorgTransfer"/>).</summary>
        public IProgress<BorgTransfer>? OnTransfer { get; init; }

        /// <summary>Gets the status letter and path of each item Borg lists (<c>--list</c>, as its <c>--filter</c> allows).</summary>
        public Action<string, string>? OnFileStatus { get; init; }

        // the figures of the last progress line: Borg's final line (finished) repeats none of them
        private long _done;
        private long? _total;

        public void OnLine(string line)
        {
            OnProgress?.Invoke();
            BorgLogLine? parsed = null;
            if (line.StartsWith('{'))
            {
                try
                {
                    parsed = JsonSerializer.Deserialize(line, BorgJsonContext.Default.BorgLogLine);
                }
                catch (JsonException)
                {
                    parsed = null;
                }
            }
            lock (_errors)
            {
                if (parsed is null)
                {
                    _raw.Add(line);
                    if (_raw.Count > 20)
                    {
                        _raw.RemoveAt(0);
                    }
                    return;
                }
                if (parsed.Type is "archive_progress" or "progress_percent" or "progress_message")
                {
                    if (OnTransfer is not null && Transfer(parsed) is { } transfer)
                    {
                        OnTransfer.Report(transfer);
                    }
                    return;
                }
                if (parsed.Type == "file_status")
                {
                    if (parsed.Status is not null && parsed.Path is not null)
                    {
                        OnFileStatus?.Invoke(parsed.Status, parsed.Path);
                    }
                    return;
                }
                if (parsed.Type == "question_prompt" && parsed.Message is not null)
                {
                    // stdin is /dev/null, so Borg's answer is no and it aborts: what it asked is the explanation
                    var question = string.Join(" ", parsed.Message.Split('\n').Select(l => l.Trim())
                        .Where(l => l.Length > 0 && !l.StartsWith("Do you want to continue", StringComparison.Ordinal)));
                    _errors.Add($"{question} (Borg asks before going on; pgborg never answers yes — if this is expected, set {parsed.MsgId}=yes in the repository's environment)");
                    return;
                }
                if (parsed.Type != "log_message" || parsed.Message is null)
                {
                    return;
                }
                switch (parsed.LevelName)
                {
                    case "ERROR" or "CRITICAL":
                        _errors.Add(parsed.Message.Trim());
                        _msgId ??= parsed.MsgId;
                        break;
                    case "WARNING" when command == "init":
                        // borg init's notices (key backup, old-client compatibility) are advice, not trouble
                        Log.BorgNotice(log, command, parsed.Message.Trim());
                        break;
                    case "WARNING":
                        Log.BorgWarning(log, command, parsed.Message.Trim());
                        _warnings.Add(parsed.Message.Trim());
                        break;
                }
            }
        }

        /// <summary>
        /// A progress line as bytes, or null for progress that counts something else: Borg's progress_percent also
        /// counts archives (delete, prune), segments (compact) and directories (extract.permissions).
        /// </summary>
        internal BorgTransfer? Transfer(BorgLogLine line)
        {
            switch (line.Type)
            {
                case "archive_progress":
                    _done = line.OriginalSize ?? _done;
                    break;
                case "progress_percent" when line.MsgId == "extract":
                    _done = line.Current ?? _done;
                    // 0 while Borg still adds up the sizes of what it is going to extract
                    if (line.Total > 0)
                    {
                        _total = line.Total;
                    }
                    // Borg writes a line only per 0.1 % reached, so the last bytes come with no line of their own
                    if (line.Finished == true && _total is { } total)
                    {
                        _done = total;
                    }
                    break;
                default:
                    return null;
            }
            return new BorgTransfer(_operation, _done, _total, line.Finished == true);
        }

        public BorgRun Check(string cmd, string repository, int rc, string stdout)
        {
            if (rc is 0 or 1)
            {
                lock (_errors)
                {
                    return new BorgRun(rc, stdout, [.. _warnings]);
                }
            }
            lock (_errors)
            {
                // Borg's own errors, then what a child of Borg (a dump command) said on stderr
                var detail = string.Join("; ", _errors.Distinct().Concat(_raw.TakeLast(5).Select(l => l.Trim())).Where(l => l.Length > 0));
                throw new BorgException(cmd, repository, rc, _msgId, detail);
            }
        }
    }
}
