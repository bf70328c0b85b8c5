using System.Globalization;
using System.Text.Json;
using PgBorg.Processes;

namespace PgBorg.Borg;

public sealed partial class BorgRepository
{
    /// <summary>
    /// Starts <c>borg create ::ARCHIVE -</c> reading one file from stdin. The caller streams into
    /// <see cref="BorgStdinCreate.Input"/> and then calls <see cref="BorgStdinCreate.CompleteAsync"/>.
    /// </summary>
    public BorgStdinCreate StartCreateFromStdin(string archive, string stdinName, string comment, string owner, CancellationToken ct)
    {
        // the stream cannot be replayed, so this one attempt waits the whole lock_wait
        var args = OneFileCreateArgs(Args("create", wholeLockWait: true), stdinName, comment, owner);
        args.Add("::" + archive);
        args.Add("-");
        var errors = new BorgStderr(_log, "create");
        var child = ChildProcess.Start(Spec(args), stdin: true, stdout: true, onStderrLine: errors.OnLine);
        return new BorgStdinCreate(child, errors, Location, ct);
    }

    /// <summary>
    /// <c>borg create --content-from-command ::ARCHIVE -- COMMAND...</c>: Borg runs the producer itself and stores its
    /// stdout as one file; a producer that exits non-zero (or dies) makes Borg fail with no archive at all, so a
    /// partial dump can never become a valid one, and no byte passes through our process. Borg starts the producer
    /// only once it holds the repository lock. With <paramref name="quickLock"/> there is one attempt that polls the
    /// lock every 0.1 s for 1 s and then fails with msgid LockTimeout (nothing started, nothing stored).
    /// </summary>
    public async Task<BorgCreateResult> CreateFromCommandAsync(string archive, string stdinName, string comment, string owner,
        IReadOnlyList<string> command, CancellationToken ct, Action? progress = null, bool quickLock = false)
    {
        var args = OneFileCreateArgs(Args("create", quickLock: quickLock), stdinName, comment, owner);
        args.Add("--progress");
        args.Add("--content-from-command");
        args.Add("::" + archive);
        args.Add("--");
        args.AddRange(command);
        var run = await RunAsync("create", args, ct, progress: progress, retryLock: !quickLock).ConfigureAwait(false);
        return JsonSerializer.Deserialize(run.Stdout, BorgJsonContext.Default.BorgCreateResult)
            ?? throw new BorgException("create", Location, run.ExitCode, null, "no JSON statistics on stdout");
    }

    /// <summary>Starts <c>borg extract --stdout ::ARCHIVE</c>. Always check the exit code: a reader cannot see truncation.</summary>
    /// <param name="transfer">Gets the bytes written out so far and the file's size (Borg's progress).</param>
    public BorgStdoutExtract StartExtractToStdout(string archive, IProgress<BorgTransfer>? transfer = null)
    {
        var args = Args("extract", wholeLockWait: true);
        args.Add("--stdout");
        if (transfer is not null)
        {
            args.Add("--progress");
        }
        args.Add("::" + archive);
        var errors = new BorgStderr(_log, "extract") { OnTransfer = transfer };
        var child = ChildProcess.Start(Spec(args), stdout: true, onStderrLine: errors.OnLine);
        return new BorgStdoutExtract(child, errors, Location);
    }

    /// <summary>
    /// Options of a create that stores one stream as one file (stdin or --content-from-command): no files cache,
    /// the file's name, owner and mode 0600, our comment, the repository's compression and chunker.
    /// </summary>
    private List<string> OneFileCreateArgs(List<string> args, string name, string comment, string owner)
    {
        args.AddRange([
            "--json",
            "--compression", _settings.Compression,
            "--files-cache", "disabled",
            "--stdin-name", name,
            "--stdin-user", owner,
            "--stdin-group", owner,
            "--stdin-mode", "0600",
            "--comment", EscapePlaceholders(comment),
        ]);
        if (_settings.ChunkerParams is { } chunker)
        {
            args.AddRange(["--chunker-params", chunker]);
        }
        return args;
    }

    /// <summary>Borg expands {placeholders} in comments; doubling the braces keeps our JSON literal.</summary>
    internal static string EscapePlaceholders(string text) => text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);

    /// <summary>A size as the logs give it; "unknown" for one Borg did not report.</summary>
    public static string FormatBytes(long? bytes) => bytes is { } b ? FormatBytes(b) : "unknown";

    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}

/// <summary>A running <c>borg create ... -</c>.</summary>
public sealed class BorgStdinCreate : IAsyncDisposable
{
    private readonly ChildProcess _child;
    private readonly BorgRepository.BorgStderr _errors;
    private readonly string _repository;
    private readonly Task<string> _stdout;

    internal BorgStdinCreate(ChildProcess child, BorgRepository.BorgStderr errors, string repository, CancellationToken ct)
    {
        _child = child;
        _errors = errors;
        _repository = repository;
        _stdout = new StreamReader(child.StandardOutput).ReadToEndAsync(ct);
    }

    public Stream Input => _child.StandardInput;

    /// <summary>Waits for Borg; returns its statistics, or throws <see cref="BorgException"/>.</summary>
    public async Task<BorgCreateResult> CompleteAsync(CancellationToken ct)
    {
        var rc = await _child.WaitAsync(ct).ConfigureAwait(false);
        var stdout = await _stdout.ConfigureAwait(false);
        _errors.Check("create", _repository, rc, stdout);
        return JsonSerializer.Deserialize(stdout, BorgJsonContext.Default.BorgCreateResult)
            ?? throw new BorgException("create", _repository, rc, null, "no JSON statistics on stdout");
    }

    public Task AbortAsync() => _child.StopAsync(TimeSpan.FromSeconds(30));

    public ValueTask DisposeAsync() => _child.DisposeAsync();
}

/// <summary>A running <c>borg extract --stdout</c>.</summary>
public sealed class BorgStdoutExtract : IAsyncDisposable
{
    private readonly ChildProcess _child;
    private readonly BorgRepository.BorgStderr _errors;
    private readonly string _repository;

    internal BorgStdoutExtract(ChildProcess child, BorgRepository.BorgStderr errors, string repository)
    {
        _child = child;
        _errors = errors;
        _repository = repository;
    }

    public Stream Output => _child.StandardOutput;

    public async Task CompleteAsync(CancellationToken ct)
    {
        var rc = await _child.WaitAsync(ct).ConfigureAwait(false);
        _errors.Check("extract", _repository, rc, "");
    }

    public Task AbortAsync() => _child.StopAsync(TimeSpan.FromSeconds(10));

    public ValueTask DisposeAsync() => _child.DisposeAsync();
}
