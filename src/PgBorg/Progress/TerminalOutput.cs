using System.Text;
using PgBorg.Progress;
using Spectre.Console;

namespace PgBorg.Cli.Progress;

/// <summary>
/// The terminal as the live bar's console sees it: written through <see cref="DirectWriter"/>, its size fixed when
/// the bar starts. Spectre's own output asks System.Console for the height at every redraw, which takes the lock of
/// Console.Out on the drawing thread (see <see cref="DirectWriter"/> for why that must not happen).
/// </summary>
internal sealed class TerminalOutput(TextWriter writer, int width, int height) : IAnsiConsoleOutput
{
    public TextWriter Writer => writer;

    public bool IsTerminal => true;

    public int Width => width;

    public int Height => height;

    public void SetEncoding(Encoding encoding)
    {
        // UTF-8 from the start; the terminal's encoding is not ours to change
    }
}
