using System.IO.Pipes;
using System.Text;
using PgBorg.Restore;

namespace PgBorg.Tests;

/// <summary>
/// The service user's side of the WAL extractor, in process over pipes: it writes what it is sent into the area,
/// never through a link someone planted there, and a request that fails leaves the stream in step for the next.
/// </summary>
public sealed class WalAreaAgentTests : IDisposable
{
    private const string Segment = "000000010000000000000007";
    private readonly string _root = Directory.CreateTempSubdirectory("pgborg-agent-").FullName;

    private string Area => Path.Combine(_root, "area");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task It_writes_files_log_lines_and_markers_through_no_planted_link_and_stays_in_step_after_a_failure()
    {
        Directory.CreateDirectory(Area);
        var victim = Path.Combine(_root, "victim");
        await File.WriteAllTextAsync(victim, "untouched", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(Path.Combine(Area, WalExtractor.LogName), victim);
        File.CreateSymbolicLink(Path.Combine(Area, Segment + ".pgborg-part"), victim);
        File.CreateSymbolicLink(Path.Combine(Area, WalExtractor.DoneName + ".tmp"), victim);
        // where the next file's temporary copy goes, a directory: that write fails
        Directory.CreateDirectory(Path.Combine(Area, "000000010000000000000008.pgborg-part", "x"));
        // where the one after it goes, a directory: its write succeeds, its rename (in the background) fails
        Directory.CreateDirectory(Path.Combine(Area, "000000010000000000000009", "x"));

        using var toAgent = new AnonymousPipeServerStream(PipeDirection.Out);
        using var fromAgent = new AnonymousPipeServerStream(PipeDirection.In);
        using var agentIn = new AnonymousPipeClientStream(PipeDirection.In, toAgent.ClientSafePipeHandle);
        using var agentOut = new AnonymousPipeClientStream(PipeDirection.Out, fromAgent.ClientSafePipeHandle);
        var agent = Task.Run(() => WalAreaAgent.RunAsync(Area, agentIn, agentOut, TextWriter.Null, CancellationToken.None));
        using var answers = new StreamReader(fromAgent, Encoding.UTF8);
        Assert.Equal(WalAreaAgent.Ready, await answers.ReadLineAsync(TestContext.Current.CancellationToken));

        async Task<string?> Ask(string verb, string name, byte[] payload)
        {
            await toAgent.WriteAsync(new WalAreaFrame(verb, name, payload.Length).Header());
            await toAgent.WriteAsync(payload);
            await toAgent.FlushAsync();
            return await answers.ReadLineAsync();
        }

        var wal = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray();
        Assert.Equal("ok", await Ask(WalAreaFrame.File, Segment, wal));
        Assert.StartsWith("error", await Ask(WalAreaFrame.File, "000000010000000000000008", wal));
        Assert.StartsWith("error", await Ask(WalAreaFrame.File, "../escape", wal));
        Assert.Equal("ok", await Ask(WalAreaFrame.File, "000000010000000000000009", wal));
        Assert.StartsWith("error 000000010000000000000009: ", await Ask(WalAreaFrame.Commit, "-", []));
        Assert.False(File.Exists(Path.Combine(Area, "000000010000000000000009.pgborg-part")));
        Assert.Equal("ok", await Ask(WalAreaFrame.Log, "-", Encoding.UTF8.GetBytes("a line\n")));
        Assert.Equal("ok", await Ask(WalAreaFrame.Mark, WalExtractor.DoneName, Encoding.UTF8.GetBytes("all WAL extracted\n")));
        Assert.Equal("ok", await Ask(WalAreaFrame.Commit, "-", []));
        Assert.Equal("ok 0 1 0", await Ask(WalAreaFrame.State, "-", []));
        Assert.Equal("ok " + Segment, await Ask(WalAreaFrame.Present, "-", []));
        toAgent.Dispose();
        Assert.Equal(0, await agent);

        Assert.Equal(wal, await File.ReadAllBytesAsync(Path.Combine(Area, Segment), TestContext.Current.CancellationToken));
        Assert.Equal("a line\n", await File.ReadAllTextAsync(Path.Combine(Area, WalExtractor.LogName), TestContext.Current.CancellationToken));
        Assert.Equal("all WAL extracted\n", await File.ReadAllTextAsync(Path.Combine(Area, WalExtractor.DoneName), TestContext.Current.CancellationToken));
        Assert.Equal("untouched", await File.ReadAllTextAsync(victim, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(_root, "escape")));
    }

    [Fact]
    public async Task A_file_passed_by_descriptor_is_linked_into_the_area_and_an_unexpected_take_ends_the_stream()
    {
        Directory.CreateDirectory(Area);
        var staged = Path.Combine(_root, "staged");
        var wal = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 3)).ToArray();
        await File.WriteAllBytesAsync(staged, wal, TestContext.Current.CancellationToken);

        using var toAgent = new AnonymousPipeServerStream(PipeDirection.Out);
        using var fromAgent = new AnonymousPipeServerStream(PipeDirection.In);
        using var agentIn = new AnonymousPipeClientStream(PipeDirection.In, toAgent.ClientSafePipeHandle);
        using var agentOut = new AnonymousPipeClientStream(PipeDirection.Out, fromAgent.ClientSafePipeHandle);
        var agent = Task.Run(() => WalAreaAgent.RunAsync(Area, agentIn, agentOut, TextWriter.Null, CancellationToken.None));
        using var answers = new StreamReader(fromAgent, Encoding.UTF8);
        Assert.Equal(WalAreaAgent.Ready, await answers.ReadLineAsync(TestContext.Current.CancellationToken));

        async Task<string?> Ask(string verb, string name)
        {
            await toAgent.WriteAsync(new WalAreaFrame(verb, name, 0).Header());
            await toAgent.FlushAsync();
            return await answers.ReadLineAsync();
        }

        using var listener = Processes.DescriptorPassing.Listen(out var socketName);
        var accepted = Processes.DescriptorPassing.AcceptAsync(listener, Environment.ProcessId, Processes.OsUser.Current.Uid, TestContext.Current.CancellationToken);
        Assert.Equal("ok", await Ask(WalAreaFrame.Attach, socketName));
        using var channel = await accepted;
        using (var file = File.OpenHandle(staged))
        {
            Processes.DescriptorPassing.Send(channel, file);
        }
        Assert.Equal("ok", await Ask(WalAreaFrame.Take, Segment));
        // a file whose name is no WAL file's is received (the socket stays in step) and refused
        using (var file = File.OpenHandle(staged))
        {
            Processes.DescriptorPassing.Send(channel, file);
        }
        Assert.StartsWith("error", await Ask(WalAreaFrame.Take, "../escape"));
        Assert.Equal("ok", await Ask(WalAreaFrame.Commit, "-"));
        var delivered = Path.Combine(Area, Segment);
        Assert.Equal(wal, await File.ReadAllBytesAsync(delivered, TestContext.Current.CancellationToken));
        Assert.Equal(Processes.FileStatus.Of(staged)!.Value.Inode, Processes.FileStatus.Of(delivered)!.Value.Inode);
        Assert.False(File.Exists(Path.Combine(_root, "escape")));

        // a take with no file passed (the sender closed its socket) fails, and the agent goes on reading requests
        channel.Dispose();
        await toAgent.WriteAsync(new WalAreaFrame(WalAreaFrame.Take, "000000010000000000000009", 0).Header(), TestContext.Current.CancellationToken);
        await toAgent.FlushAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("error", await answers.ReadLineAsync(TestContext.Current.CancellationToken));
        toAgent.Dispose();
        Assert.Equal(0, await agent);
        Assert.False(File.Exists(Path.Combine(Area, "000000010000000000000009")));
    }
}
