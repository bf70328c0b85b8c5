using System.Runtime.InteropServices;
using System.Text;

namespace PgBorg.Progress;

/// <summary>
/// A writer straight to a file descriptor (the terminal, for the live progress bar), beside System.Console rather than
/// through it. On Unix every write through a Console stream takes the lock of <c>Console.Out</c>, and so does reading
/// the window's size. The bar is drawn on its own thread under its own lock, while a thread that prints a line holds
/// <c>Console.Out</c>'s lock and waits for the bar's to put the line above it: drawn through Console, the two threads
/// could each hold what the other waits for, and the restore would hang (it did, once, in CI).
/// </summary>
public static partial class DirectWriter
{
    /// <summary>
    /// Writes each call's text at once, one writer at a time (Spectre shows and hides the cursor outside its own
    /// lock). The descriptor stays open when the writer is disposed. Like System.Console, it waits while a
    /// non-blocking terminal is full, and drops what it cannot write once the terminal is gone: a progress bar never
    /// ends the work it shows.
    /// </summary>
    public static TextWriter Open(int fd, Encoding encoding)
    {
        // a StreamWriter on a stream it cannot seek writes the encoding's preamble first: no BOM on a terminal
        var plain = encoding is UTF8Encoding ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : encoding;
        return TextWriter.Synchronized(new StreamWriter(new DescriptorStream(fd), plain) { AutoFlush = true });
    }

    private sealed class DescriptorStream(int fd) : Stream
    {
        private bool _gone;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            const int EINTR = 4, EAGAIN = 11;
            fixed (byte* start = buffer)
            {
                var left = buffer.Length;
                while (left > 0 && !_gone)
                {
                    var n = write(fd, start + buffer.Length - left, (nuint)left);
                    if (n > 0)
                    {
                        left -= (int)n;
                        continue;
                    }
                    var errno = n == 0 ? EAGAIN : Marshal.GetLastPInvokeError();
                    if (errno == EAGAIN)
                    {
                        var wait = new PollFd { Fd = fd, Events = PollOut };
                        _ = poll(&wait, 1, 100);
                    }
                    else if (errno != EINTR)
                    {
                        _gone = true; // EIO after a hang-up, EPIPE: nobody sees the bar any more
                    }
                }
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private const short PollOut = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeout);
}
