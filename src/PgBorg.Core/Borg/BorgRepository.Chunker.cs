namespace PgBorg.Borg;

public sealed partial class BorgRepository
{
    /// <summary>Borg 1.2's chunker when a create is given none (CHUNKER_PARAMS in constants.py).</summary>
    public const string BorgDefaultChunker = "buzhash,19,23,21,4095";

    /// <summary>
    /// The chunker parameters the newest archive matching <paramref name="glob"/> was made with, or null if there
    /// is none. Borg keeps each archive's command line in its metadata; <c>{command_line}</c> reads that one archive
    /// object (cheap), where <c>borg info</c> would also sum the whole archive's chunks.
    /// </summary>
    public async Task<string?> LastChunkerParamsAsync(string glob, CancellationToken ct)
    {
        var args = Args("list");
        args.AddRange(["--last", "1", "--glob-archives", glob, "--format", "{command_line}{NUL}"]);
        var run = await RunAsync("list", args, ct).ConfigureAwait(false);
        var line = run.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return line is null ? null : ChunkerParamsOf(line);
    }

    /// <summary>
    /// The value of the last <c>--chunker-params</c> in a command line as Borg 1.2 prints it (arguments joined with
    /// spaces, each through shlex.quote), or Borg's default when there is none. pgborg passes it after the comment,
    /// the only free text, and before the excludes and paths, so the last one is what Borg used.
    /// </summary>
    internal static string ChunkerParamsOf(string commandLine)
    {
        const string option = " --chunker-params ";
        var at = commandLine.LastIndexOf(option, StringComparison.Ordinal);
        if (at < 0)
        {
            return BorgDefaultChunker;
        }
        // shlex.quote leaves "fixed,65536" bare; anything it quoted is '...'
        return commandLine[(at + option.Length)..].Split(' ', 2)[0].Trim('\'');
    }
}
