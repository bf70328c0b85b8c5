using System.Runtime.InteropServices;

namespace PgBorg.Progress;

/// <summary>
/// The size of the terminal on a descriptor, asked of the kernel (TIOCGWINSZ). System.Console asks stdout's or
/// stdin's terminal, under Console.Out's lock; the live bar needs stderr's, on its drawing thread, without that lock.
/// </summary>
public static partial class TerminalSize
{
    /// <returns>Columns and lines, or null when <paramref name="fd"/> is not a terminal.</returns>
    public static unsafe (int Columns, int Lines)? Of(int fd)
    {
        const nuint TIOCGWINSZ = 0x5413;
        WinSize size;
        return ioctl(fd, TIOCGWINSZ, &size) == 0 && size.Columns > 0 && size.Rows > 0 ? (size.Columns, size.Rows) : null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int ioctl(int fd, nuint request, WinSize* size);
}
