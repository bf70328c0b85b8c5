namespace PgBorg.Tests;

/// <summary>Console.Out's lock, held by a thread of its own until disposed (a lock is released by its owner only).</summary>
internal sealed class ConsoleOutLock : IDisposable
{
    private readonly Thread _holder;
    private readonly ManualResetEventSlim _release = new();

    private ConsoleOutLock()
    {
        using var taken = new ManualResetEventSlim();
        _holder = new Thread(() =>
        {
            lock (Console.Out)
            {
                taken.Set();
                _release.Wait();
            }
        }) { IsBackground = true };
        _holder.Start();
        taken.Wait();
    }

    public static ConsoleOutLock Hold() => new();

    public void Dispose()
    {
        _release.Set();
        _holder.Join();
    }
}
