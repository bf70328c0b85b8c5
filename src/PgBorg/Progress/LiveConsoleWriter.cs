using System.Text;
using Spectre.Console;

namespace PgBorg.Cli.Progress;

/// <summary>
/// What pgborg installs as Console.Out and Console.Error: straight through to the real streams, except while a live
/// progress bar is drawn on the terminal. Then each complete line is handed to the bar's console, which prints it
/// above the bar; written straight to the terminal it would land inside the bar and be drawn over at the next refresh.
/// The logger holds on to Console.Error from its start, so this has to be in place before the logger is made.
/// </summary>
internal sealed class LiveConsoleWriter(TextWriter inner, bool isTerminal) : TextWriter
{
    private readonly StringBuilder _line = new();
    private IAnsiConsole? _live;

    public static LiveConsoleWriter? Out { get; private set; }

    public static LiveConsoleWriter? Error { get; private set; }

    public override Encoding Encoding => inner.Encoding;

    /// <summary>Once, at start, before anything (the logger, System.CommandLine) takes Console.Out or Console.Error.</summary>
    public static void Install()
    {
        Out = new LiveConsoleWriter(Console.Out, !Console.IsOutputRedirected);
        Error = new LiveConsoleWriter(Console.Error, !Console.IsErrorRedirected);
        Console.SetOut(Out);
        Console.SetError(Error);
    }

    /// <summary>Lines go above the bar on <paramref name="live"/>, if this stream is the terminal too (else they go where they went).</summary>
    public void Attach(IAnsiConsole live)
    {
        lock (_line)
        {
            _live = isTerminal ? live : null;
        }
    }

    public void Detach()
    {
        lock (_line)
        {
            if (_live is not null && _line.Length > 0)
            {
                _live.WriteLine(_line.ToString());
                _line.Clear();
            }
            _live = null;
        }
    }

    public override void Write(char value)
    {
        lock (_line)
        {
            if (_live is null)
            {
                inner.Write(value);
            }
            else
            {
                Collect(value);
            }
        }
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_line)
        {
            if (_live is null)
            {
                inner.Write(buffer);
                return;
            }
            foreach (var c in buffer)
            {
                Collect(c);
            }
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_line)
        {
            if (_live is null)
            {
                inner.WriteLine(value);
                return;
            }
            foreach (var c in value.AsSpan())
            {
                Collect(c);
            }
            Collect('\n');
        }
    }

    public override void Flush()
    {
        lock (_line)
        {
            inner.Flush();
        }
    }

    private void Collect(char c)
    {
        if (c == '\n')
        {
            _live!.WriteLine(_line.ToString());
            _line.Clear();
        }
        else if (c != '\r')
        {
            _line.Append(c);
        }
    }
}
