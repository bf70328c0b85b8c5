using System.Globalization;
using System.Text;

namespace PgBorg.Restore;

/// <summary>
/// One request from the WAL extractor (root) to its <see cref="WalAreaAgent"/> (the service user), over the agent's
/// stdin: a header line <c>VERB NAME LENGTH</c> (ASCII), then exactly LENGTH bytes. The agent answers each request with
/// one line on its stdout: <c>ok[ DETAIL]</c> or <c>error MESSAGE</c>.
/// </summary>
public sealed record WalAreaFrame(string Verb, string Name, long Length)
{
    public const string File = "file";
    /// <summary>Waits until every file sent so far is durable under its name; answers the failures among them.</summary>
    public const string Commit = "commit";
    /// <summary>Connect to the abstract socket NAME, over which root's extractor will pass files (<see cref="Take"/>).</summary>
    public const string Attach = "attach";
    /// <summary>The file just passed over the attached socket becomes NAME (no payload on stdin).</summary>
    public const string Take = "take";
    public const string Log = "log";
    public const string Mark = "mark";
    public const string State = "state";
    public const string Present = "present";

    /// <summary>A header longer than this is not one of ours (a name is a WAL file's or a marker's).</summary>
    private const int MaxHeader = 256;

    public byte[] Header() => Encoding.ASCII.GetBytes($"{Verb} {Name} {Length.ToString(CultureInfo.InvariantCulture)}\n");

    /// <summary>Reads the next header; null at the end of the stream (the extractor closed it, or died).</summary>
    public static async Task<WalAreaFrame?> ReadAsync(Stream input, CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await input.ReadAsync(one, ct).ConfigureAwait(false) == 0)
            {
                return line.Length == 0 ? null : throw new InvalidDataException("the WAL extractor's request ended inside its header");
            }
            if (one[0] == (byte)'\n')
            {
                break;
            }
            if (line.Length >= MaxHeader || one[0] is < 0x20 or > 0x7e)
            {
                throw new InvalidDataException("the WAL extractor sent a malformed request header");
            }
            line.Append((char)one[0]);
        }
        var parts = line.ToString().Split(' ');
        if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            throw new InvalidDataException($"the WAL extractor sent a malformed request: {line}");
        }
        return new WalAreaFrame(parts[0], parts[1], length);
    }
}
