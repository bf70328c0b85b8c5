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

        await using var agent = await InProcessAgent.StartAsync(Area);
        var Ask = agent.AskAsync;

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
        Assert.Equal(0, await agent.EndAsync());

        Assert.Equal(wal, await File.ReadAllBytesAsync(Path.Combine(Area, Segment), TestContext.Current.CancellationToken));
        Assert.Equal("a line\n", await File.ReadAllTextAsync(Path.Combine(Area, WalExtractor.LogName), TestContext.Current.CancellationToken));
        Assert.Equal("all WAL extracted\n", await File.ReadAllTextAsync(Path.Combine(Area, WalExtractor.DoneName), TestContext.Current.CancellationToken));
        Assert.Equal("untouched", await File.ReadAllTextAsync(victim, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(_root, "escape")));
    }

    [Fact]
    public async Task A_file_passed_by_descriptor_is_linked_into_the_area_and_a_take_with_nothing_passed_fails()
    {
        Directory.CreateDirectory(Area);
        var staged = Path.Combine(_root, "staged");
        var wal = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 3)).ToArray();
        await File.WriteAllBytesAsync(staged, wal, TestContext.Current.CancellationToken);

        await using var agent = await InProcessAgent.StartAsync(Area);
        Task<string?> Ask(string verb, string name) => agent.AskAsync(verb, name, []);

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
        Assert.StartsWith("error", await Ask(WalAreaFrame.Take, "000000010000000000000009"));
        Assert.Equal(0, await agent.EndAsync());
        Assert.False(File.Exists(Path.Combine(Area, "000000010000000000000009")));
    }

    /// <summary><see cref="WalAreaAgent"/> in this process, over pipes: requests in, one answer line each out.</summary>
    private sealed class InProcessAgent : IAsyncDisposable
    {
        private readonly AnonymousPipeServerStream _toAgent = new(PipeDirection.Out);
        private readonly AnonymousPipeServerStream _fromAgent = new(PipeDirection.In);
        private readonly AnonymousPipeClientStream _agentIn;
        private readonly AnonymousPipeClientStream _agentOut;
        private readonly StreamReader _answers;
        private readonly Task<int> _run;

        private InProcessAgent(string area)
        {
            _agentIn = new AnonymousPipeClientStream(PipeDirection.In, _toAgent.ClientSafePipeHandle);
            _agentOut = new AnonymousPipeClientStream(PipeDirection.Out, _fromAgent.ClientSafePipeHandle);
            _answers = new StreamReader(_fromAgent, Encoding.UTF8);
            _run = Task.Run(() => WalAreaAgent.RunAsync(area, _agentIn, _agentOut, TextWriter.Null, CancellationToken.None));
        }

        public static async Task<InProcessAgent> StartAsync(string area)
        {
            var agent = new InProcessAgent(area);
            Assert.Equal(WalAreaAgent.Ready, await agent._answers.ReadLineAsync(TestContext.Current.CancellationToken));
            return agent;
        }

        public async Task<string?> AskAsync(string verb, string name, byte[] payload)
        {
            await _toAgent.WriteAsync(new WalAreaFrame(verb, name, payload.Length).Header());
            await _toAgent.WriteAsync(payload);
            await _toAgent.FlushAsync();
            return await _answers.ReadLineAsync();
        }

        /// <summary>Ends its input, as the extractor does when it finishes; its exit code.</summary>
        public Task<int> EndAsync()
        {
            _toAgent.Dispose();
            return _run;
        }

        public async ValueTask DisposeAsync()
        {
            _toAgent.Dispose();
            await _run;
            _answers.Dispose();
            _agentIn.Dispose();
            _agentOut.Dispose();
            _fromAgent.Dispose();
        }
    }
}
