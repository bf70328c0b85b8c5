using PgBorg.Progress;

namespace PgBorg.Tests;

/// <summary>
/// The live bar's writer never waits for Console.Out's lock, which a thread printing a line above the bar holds while
/// it waits for the bar (a restore hung on that once in CI). The first test shows that a Console stream does wait.
/// </summary>
[Collection(ConsoleOutCollection.Name)]
public class DirectWriterTests
{
    [Fact]
    public async Task A_console_stream_waits_for_the_lock_of_Console_Out()
    {
        using var held = ConsoleOutLock.Hold();
        using var stderr = Console.OpenStandardError();
        var write = Task.Run(() => stderr.Write("\n"u8));
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        Assert.False(write.IsCompleted, "the premise of DirectWriter is gone: a Console stream wrote while Console.Out was locked");
        held.Dispose();
        await write.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_direct_writer_writes_while_Console_Out_is_locked()
    {
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);
        using var held = ConsoleOutLock.Hold();
        using var writer = DirectWriter.Open((int)devNull.DangerousGetHandle(), System.Text.Encoding.UTF8);
        var write = Task.Run(() => writer.Write("\e[2K a redrawn bar\n"));
        await write.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
