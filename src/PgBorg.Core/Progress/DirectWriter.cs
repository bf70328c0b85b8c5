using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PgBorg.Progress;

/// <summary>
/// A writer straight to a file descriptor (the terminal, for the live progress bar), beside System.Console rather than
/// through it. On Unix every write through a Console stream takes the lock of <c>Console.Out</c>, and so does reading
/// the window's size. The bar is drawn on its own thread under its own lock, while a thread that prints a line holds
/// <c>Console.Out</c>'s lock and waits for the bar's to put the line above it: drawn through Console, the two threads
/// could each hold what the other waits for, and the restore would hang (it did, once, in CI).
/// </summary>
public static class DirectWriter
{
    /// <summary>Writes each call's text at once; the descriptor stays open when the writer is disposed.</summary>
    public static TextWriter Open(int fd)
    {
        var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        return new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
    }
}
