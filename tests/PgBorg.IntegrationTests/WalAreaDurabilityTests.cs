using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using PgBorg.Archiving;
using PgBorg.IntegrationTests.Infrastructure;
using PgBorg.Processes;
using PgBorg.Restore;

namespace PgBorg.IntegrationTests;

/// <summary>
/// The restore area's helper (<c>pgborg __wal-area</c>, the published binary) syncs and renames the WAL it receives
/// on a thread of its own, while the next file arrives. A file must still get its WAL name only once it is on disk:
/// after a crash of the host, replay would otherwise read a segment of zeros as the end of the WAL and promote early.
/// No power cut can be staged here (no dm-flakey in this kernel), so the order of its system calls is checked
/// under strace. A helper killed with files still unnamed (kill -9 keeps the page cache, so this checks the clean-up,
/// not durability) leaves temporary files, which the next one removes before it says what the area holds.
/// </summary>
public sealed class WalAreaDurabilityTests : IDisposable
{
    private readonly TempDir _dir = new("pgborg-walarea");
    private readonly byte[] _wal = RandomNumberGenerator.GetBytes(1 << 20);

    private string Area => _dir.Sub("area");

    public void Dispose() => _dir.Dispose();

    private static string Name(int i) => $"0000000100000000000000{i:X2}";

    [Fact(Timeout = 120_000)]
    public async Task Every_file_is_on_disk_before_it_gets_its_WAL_name_whether_sent_or_passed_by_descriptor()
    {
        Directory.CreateDirectory(Area);
        var trace = _dir.Sub("strace.out");
        string Staged(int i) => _dir.Sub($"staged-{i}");
        using (var agent = Agent.Start("/usr/bin/strace",
            ["-f", "-q", "-y", "-e", "trace=fsync,fdatasync,?rename,renameat,renameat2,?link,linkat", "-o", trace,
             PgBorgBinary.Path, WalAreaAgent.Command, Area]))
        {
            Assert.Equal(WalAreaAgent.Ready, await agent.ReadLineAsync());
            // 1 to 6 as data on stdin
            for (var i = 1; i <= 6; i++)
            {
                Assert.Equal("ok", await agent.AskAsync(WalAreaFrame.File, Name(i), _wal));
            }
            // 7 to 12 passed by descriptor, as root's extractor does: only the helper's own process is accepted
            using var listener = DescriptorPassing.Listen(out var socket);
            var accepted = DescriptorPassing.AcceptAsync(listener, agent.TracedPid(), 0, TestContext.Current.CancellationToken);
            Assert.Equal("ok", await agent.AskAsync(WalAreaFrame.Attach, socket, []));
            using var channel = await accepted;
            for (var i = 7; i <= 12; i++)
            {
                await File.WriteAllBytesAsync(Staged(i), _wal, TestContext.Current.CancellationToken);
                using var file = File.OpenHandle(Staged(i));
                DescriptorPassing.Send(channel, file);
                Assert.Equal("ok", await agent.AskAsync(WalAreaFrame.Take, Name(i), []));
            }
            Assert.Equal("ok", await agent.AskAsync(WalAreaFrame.Commit, "-", []));
            Assert.Equal(0, await agent.EndAsync());
        }
        var lines = await File.ReadAllLinesAsync(trace, TestContext.Current.CancellationToken);
        for (var i = 1; i <= 12; i++)
        {
            var part = Path.Combine(Area, Name(i)) + ".pgborg-part";
            // a passed file is synced by the descriptor it came as, which strace names by the path it was opened at
            var synced = Completed(lines, Array.FindIndex(lines, l => l.Contains("sync(", StringComparison.Ordinal)
                && l.Contains(FdOn(i <= 6 ? part : Staged(i)), StringComparison.Ordinal)));
            var renamed = Array.FindIndex(lines, l => l.Contains($"\"{part}\"", StringComparison.Ordinal)
                && l.Contains($"\"{Path.Combine(Area, Name(i))}\"", StringComparison.Ordinal));
            Assert.True(synced >= 0 && lines[synced].EndsWith("= 0", StringComparison.Ordinal),
                $"no successful fsync of {Name(i)}:\n{string.Join('\n', lines)}");
            Assert.True(renamed > synced, $"{part} renamed before its fsync returned:\n{string.Join('\n', lines)}");
            Assert.True(lines[Completed(lines, renamed)].EndsWith("= 0", StringComparison.Ordinal),
                $"{part} not renamed:\n{string.Join('\n', lines)}");
            Assert.Equal(_wal, await File.ReadAllBytesAsync(Path.Combine(Area, Name(i)), TestContext.Current.CancellationToken));
        }
        // passed on one filesystem: linked, not a byte copied
        for (var i = 7; i <= 12; i++)
        {
            Assert.Equal(FileStatus.Of(Staged(i))!.Value.Inode, FileStatus.Of(Path.Combine(Area, Name(i)))!.Value.Inode);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task The_next_helper_removes_what_a_killed_one_left_unnamed_and_lists_only_what_it_named()
    {
        Directory.CreateDirectory(Area);
        // what a helper killed in the middle of a write left: never complete for sure
        var stale = Path.Combine(Area, Name(0x40)) + ".pgborg-part";
        await File.WriteAllBytesAsync(stale, _wal[..1000], TestContext.Current.CancellationToken);
        using (var agent = Agent.Start(PgBorgBinary.Path, [WalAreaAgent.Command, Area]))
        {
            Assert.Equal(WalAreaAgent.Ready, await agent.ReadLineAsync());
            Assert.False(File.Exists(stale), "the next helper kept a temporary file of a killed one");
            for (var i = 1; i <= 16; i++)
            {
                Assert.Equal("ok", await agent.AskAsync(WalAreaFrame.File, Name(i), _wal));
            }
            agent.Kill();
        }
        var named = Directory.GetFiles(Area).Where(f => WalFileName.Classify(Path.GetFileName(f)) is not null).ToList();
        foreach (var file in named)
        {
            Assert.Equal(_wal, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken));
        }
        using (var next = Agent.Start(PgBorgBinary.Path, [WalAreaAgent.Command, Area]))
        {
            Assert.Equal(WalAreaAgent.Ready, await next.ReadLineAsync());
            Assert.Empty(Directory.GetFiles(Area, "*.pgborg-part"));
            // what the killed one had not named is not present: the extractor extracts it again
            var present = (await next.AskAsync(WalAreaFrame.Present, "-", []))!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["ok", .. named.Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)], present);
            Assert.Equal(0, await next.EndAsync());
        }
    }

    /// <summary>How strace -y shows a descriptor open on <paramref name="path"/>: <c>5&lt;/path&gt;</c>.</summary>
    private static string FdOn(string path) => "<" + path + ">";

    /// <summary>The line where the call at <paramref name="start"/> returned (strace splits calls other threads interrupt).</summary>
    private static int Completed(string[] lines, int start)
    {
        if (start < 0 || !lines[start].Contains("<unfinished ...>", StringComparison.Ordinal))
        {
            return start;
        }
        var pid = lines[start].Split(' ', 2)[0];
        return Array.FindIndex(lines, start + 1, l => l.StartsWith(pid + " ", StringComparison.Ordinal) && l.Contains("resumed>", StringComparison.Ordinal));
    }

    /// <summary>The helper as root's extractor drives it: requests on its stdin, one answer line each on its stdout.</summary>
    private sealed class Agent : IDisposable
    {
        private readonly Process _process;

        private Agent(Process process) => _process = process;

        public static Agent Start(string program, IEnumerable<string> args)
        {
            var psi = new ProcessStartInfo(program)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }
            return new Agent(Process.Start(psi)!);
        }

        /// <summary>The process strace started (the helper), when this is strace.</summary>
        public int TracedPid() => int.Parse(File.ReadAllText($"/proc/{_process.Id}/task/{_process.Id}/children").Split(' ')[0]);

        public Task<string?> ReadLineAsync() => _process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask();

        public async Task<string?> AskAsync(string verb, string name, byte[] payload)
        {
            var input = _process.StandardInput.BaseStream;
            await input.WriteAsync(new WalAreaFrame(verb, name, payload.Length).Header(), TestContext.Current.CancellationToken);
            await input.WriteAsync(payload, TestContext.Current.CancellationToken);
            await input.FlushAsync(TestContext.Current.CancellationToken);
            return await ReadLineAsync();
        }

        public void Kill()
        {
            _process.Kill();
            _process.WaitForExit();
        }

        /// <summary>Closes its stdin, as the extractor does when it finishes, and waits for it to exit.</summary>
        public async Task<int> EndAsync()
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            _process.Dispose();
        }
    }
}
