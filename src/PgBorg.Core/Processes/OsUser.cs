using System.Runtime.InteropServices;

namespace PgBorg.Processes;

/// <summary>An operating-system account, as getpwnam(3) returns it.</summary>
public sealed record OsUser(string Name, uint Uid, uint Gid, string Home)
{
    public static OsUser Current => Native.GetUserById(Native.geteuid())
        ?? throw new InvalidOperationException($"the current user id {Native.geteuid()} has no passwd entry");

    public static bool IsRoot => Native.geteuid() == 0;

    public static OsUser? Find(string name) => Native.GetUserByName(name);

    public static OsUser? Find(uint uid) => Native.GetUserById(uid);

    /// <summary>Gives a file or directory to this user (a no-op unless we are root).</summary>
    public void Own(string path)
    {
        if (IsRoot && Native.lchown(path, Uid, Gid) != 0)
        {
            throw new IOException($"cannot chown {path} to {Name}: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
