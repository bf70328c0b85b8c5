using System.Text;
using PgBorg.Progress;
using Spectre.Console;

namespace PgBorg.Cli.Progress;

/// <summary>
/// The terminal on stderr as the live bar's console sees it: written through <see cref="DirectWriter"/>, its size
/// asked of the kernel at each redraw (so a resized window is drawn right). Spectre's own output would ask
/// System.Console for the height at every redraw, which takes Console.Out's lock on the drawing thread (see
/// <see cref="DirectWriter"/> for why that must not happen).
/// </summary>
internal sealed class TerminalOutput(int fd, (int Columns, int Lines) fallback) : IAnsiConsoleOutput
{
    public TextWriter Writer { get; } = DirectWriter.Open(fd, Console.OutputEncoding);

    public bool IsTerminal => true;

    public int Width => (TerminalSize.Of(fd) ?? fallback).Columns;

    public int Height => (TerminalSize.Of(fd) ?? fallback).Lines;

    public void SetEncoding(Encoding encoding)
    {
        // the terminal's encoding, taken from the locale when the bar starts, is not ours to change
    }
}
