using System.Text;
using Spectre.Console;

namespace PgBorg.Cli.Progress;

/// <summary>
/// What pgborg installs as Console.Out and Console.Error: straight through to the real streams, except while a live
/// progress bar is drawn on the terminal. Then each complete line is handed to the bar's console, which prints it
/// above the bar; written straight to the terminal it would land inside the bar and be drawn over at the next refresh.
/// While the bar ends, lines are held, and written out once it has ended. The logger holds on to Console.Error from its
/// start, so this has to be in place before the logger is made.
/// </summary>
/// <remarks>
/// Locks, always in this order: the Console wrapper of this stream (System.Console takes it around every call to this
/// writer), this writer's own, then Spectre's (by handing it a line), whose writer takes none
/// (<see cref="PgBorg.Progress.DirectWriter"/>). Spectre, while the bar ends, takes its own locks in the other order
/// from the ones it takes when handed a line: no line is handed to it then (<see cref="Hold"/>).
/// </remarks>
internal sealed class LiveConsoleWriter(TextWriter inner, bool isTerminal) : TextWriter
{
    private readonly StringBuilder _line = new();
    private IAnsiConsole? _live;
    private List<string>? _held;

    /// <summary>The wrapper around this writer (<see cref="Synchronized"/>): its lock is taken first, on every call.</summary>
    private object _console = new();

    public static LiveConsoleWriter? Out { get; private set; }

    public static LiveConsoleWriter? Error { get; private set; }

    public override Encoding Encoding => inner.Encoding;

    /// <summary>Once, at start, before anything (the logger, System.CommandLine) takes Console.Out or Console.Error.</summary>
    public static void Install()
    {
        Out = new LiveConsoleWriter(Console.Out, !Console.IsOutputRedirected);
        Error = new LiveConsoleWriter(Console.Error, !Console.IsErrorRedirected);
        Console.SetOut(Out.Synchronized());
        Console.SetError(Error.Synchronized());
    }

    /// <summary>
    /// This writer as System.Console wraps it (Console.SetOut keeps a wrapper it is given): every call takes the
    /// wrapper's lock first, and <see cref="Detach"/> takes it too, in the same order.
    /// </summary>
    public TextWriter Synchronized()
    {
        var wrapper = TextWriter.Synchronized(this);
        _console = wrapper;
        return wrapper;
    }

    /// <summary>Lines go above the bar on <paramref name="live"/>, if this stream is the terminal too (else they go where they went).</summary>
    public void Attach(IAnsiConsole live)
    {
        lock (_line)
        {
            _live = isTerminal ? live : null;
        }
    }

    /// <summary>The bar is ending: lines are kept until <see cref="Detach"/> instead of being handed to it.</summary>
    public void Hold()
    {
        lock (_line)
        {
            if (_live is not null)
            {
                _live = null;
                _held = [];
            }
        }
    }

    /// <summary>The bar has ended: what was held, and a line begun, go to the stream; from now on everything does.</summary>
    public void Detach()
    {
        lock (_console)
        {
            lock (_line)
            {
                // taken out first: should the stream fail, this writer still writes straight through from now on
                var held = _held ?? [];
                var begun = _line.ToString();
                _live = null;
                _held = null;
                _line.Clear();
                foreach (var line in held)
                {
                    inner.WriteLine(line);
                }
                inner.Write(begun);
            }
        }
    }

    public override void Write(char value)
    {
        lock (_line)
        {
            if (Direct)
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
            if (Direct)
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
            if (Direct)
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

    private bool Direct => _live is null && _held is null;

    private void Collect(char c)
    {
        if (c == '\n')
        {
            if (_live is not null)
            {
                _live.WriteLine(_line.ToString());
            }
            else
            {
                _held!.Add(_line.ToString());
            }
            _line.Clear();
        }
        else if (c != '\r')
        {
            _line.Append(c);
        }
    }
}
