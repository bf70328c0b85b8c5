using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace PgBorg.Processes;

/// <summary>
/// Hands open files from one process to another over a Unix socket (SCM_RIGHTS): the receiver gets the file itself,
/// not a path it would have to be allowed to reach. The socket has an abstract name, which anyone on the host may try
/// to connect to; the listener therefore accepts only the process it expects, by the kernel's account of the peer
/// (SO_PEERCRED), and closes every other connection.
/// </summary>
public static partial class DescriptorPassing
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int SoPeerCred = 17;
    private const int MsgCtrunc = 0x8;
    private const int MsgNoSignal = 0x4000;
    private const int EINTR = 4;
    private const int MsgCmsgCloexec = 0x40000000;

    /// <summary>A listening socket under a new random abstract name (without its leading NUL, as the peer needs it).</summary>
    public static Socket Listen(out string name)
    {
        name = "pgborg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
            socket.Listen(4);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects to the abstract name <paramref name="name"/> made by <see cref="Listen"/>, giving up after
    /// <paramref name="timeout"/>: anyone can fill the listener's queue, and the caller then does without.
    /// </summary>
    public static async Task<Socket> ConnectAsync(string name, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var limit = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint("\0" + name), limit.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new IOException($"cannot connect to the extractor's socket within {timeout.TotalSeconds} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The first connection whose peer is process <paramref name="pid"/> running as <paramref name="uid"/>; any other
    /// is closed unheard.
    /// </summary>
    /// <exception cref="OperationCanceledException">None came before <paramref name="ct"/> ended.</exception>
    public static async Task<Socket> AcceptAsync(Socket listener, int pid, uint uid, CancellationToken ct)
    {
        while (true)
        {
            var peer = await listener.AcceptAsync(ct).ConfigureAwait(false);
            var credentials = new byte[12];
            try
            {
                if (peer.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == credentials.Length
                    && BitConverter.ToInt32(credentials, 0) == pid && BitConverter.ToUInt32(credentials, 4) == uid)
                {
                    return peer;
                }
            }
            catch (SocketException)
            {
                // gone already: not the one
            }
            peer.Dispose();
        }
    }

    /// <summary>Sends <paramref name="file"/> (one byte of data carries it).</summary>
    public static unsafe void Send(Socket socket, SafeFileHandle file)
    {
        var control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        var header = (CmsgHeader*)control;
        header->Length = CmsgHeaderSize + sizeof(int);
        header->Level = SolSocket;
        header->Type = ScmRights;
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            *(int*)(control + CmsgHeaderSize) = (int)file.DangerousGetHandle();
            byte data = 1;
            var vector = new IoVector { Base = &data, Length = 1 };
            var message = MessageHeader.OneVector(&vector, control);
            nint sent;
            while ((sent = sendmsg(socket.SafeHandle, &message, MsgNoSignal)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
            }
            if (sent != 1)
            {
                throw new IOException($"cannot pass a file descriptor: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Receives one file sent by <see cref="Send"/>.</summary>
    /// <exception cref="IOException">The peer closed the socket or sent no descriptor.</exception>
    public static unsafe SafeFileHandle Receive(Socket socket)
    {
        var control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        byte data = 0;
        var vector = new IoVector { Base = &data, Length = 1 };
        var message = MessageHeader.OneVector(&vector, control);
        nint n;
        while ((n = recvmsg(socket.SafeHandle, &message, MsgCmsgCloexec)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
        {
        }
        if (n != 1)
        {
            throw new IOException(n == 0 ? "the sender closed its socket" : $"cannot receive a file descriptor: errno {Marshal.GetLastPInvokeError()}");
        }
        var header = (CmsgHeader*)control;
        var carries = (int)message.ControlLength >= CmsgHeaderSize + sizeof(int) && header->Level == SolSocket && header->Type == ScmRights;
        var fd = carries ? *(int*)(control + CmsgHeaderSize) : -1;
        if (!carries || (message.Flags & MsgCtrunc) != 0 || header->Length != CmsgHeaderSize + sizeof(int))
        {
            if (fd >= 0)
            {
                _ = Native.close(fd); // ours now, even in a message we refuse
            }
            throw new IOException("a message without exactly one file descriptor");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    // x86-64 layouts (pgborg is built for linux-x64 only): struct cmsghdr is 16 bytes, CMSG_SPACE(sizeof(int)) is 24
    private const int CmsgHeaderSize = 16;
    private const int ControlSpace = 24;

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vector;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;

        /// <summary>One byte of data in <paramref name="vector"/> and room for one descriptor in <paramref name="control"/>.</summary>
        public static MessageHeader OneVector(IoVector* vector, byte* control) =>
            new() { Vector = vector, VectorCount = 1, Control = control, ControlLength = ControlSpace };
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint sendmsg(SafeSocketHandle socket, MessageHeader* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint recvmsg(SafeSocketHandle socket, MessageHeader* message, int flags);
}
