using System.Text.Json;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// Reads what pgcad stored, straight from Borg (names and comments), to check cycles and WAL coverage: in the sandbox's
/// repositories, or in <paramref name="repository"/> (a local path) and its default WAL repository beside it; through a
/// Borg state of the test's own when pgborg reaches them through ssh:// (<paramref name="aside"/>).
/// </summary>
public sealed class ArchiveInspector(Sandbox sandbox, string? repository = null, bool aside = false)
{
    private readonly string _repository = repository ?? sandbox.Repository;
    private string WalRepository => _repository + "-wal";

    public sealed record Cycle(string Stamp, JsonElement? Base, List<string> WalFiles, List<string> WalArchives, List<string> TablespaceArchives);

    /// <summary>The archives of both repositories (the WAL repository's when it exists).</summary>
    public async Task<List<(string Name, string Comment)>> ArchivesAsync()
    {
        var all = new List<(string, string)>();
        foreach (var wal in new[] { false, true })
        {
            if (wal && !File.Exists(Path.Combine(WalRepository, "config")))
            {
                continue;
            }
            var r = await sandbox.BorgOnAsync(wal ? WalRepository : _repository, ["list", "--format", "{name}{TAB}{comment}{NL}"], aside: aside);
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException($"borg list failed: {r}");
            }
            all.AddRange(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : "")));
        }
        return all;
    }

    /// <summary>Every WAL archive: its name, its cycle and the files its comment lists.</summary>
    public async Task<List<(string Name, string Cycle, HashSet<string> Files)>> WalArchivesAsync() =>
        (await ArchivesAsync()).Where(a => a.Name.Split('~')[3] == "wal")
            .Select(a => (a.Name, a.Name.Split('~')[^1], JsonDocument.Parse(a.Comment).RootElement.GetProperty("files").EnumerateArray().Select(e => e.GetString()!).ToHashSet()))
            .ToList();

    /// <summary>Every WAL archive's index (its comment's <c>segments</c>): file name to "size sha256", empty for an archive without one.</summary>
    public async Task<List<(string Name, Dictionary<string, string> Index)>> WalIndexAsync() =>
        (await ArchivesAsync()).Where(a => a.Name.Split('~')[3] == "wal")
            .Select(a => (a.Name, JsonDocument.Parse(a.Comment).RootElement.TryGetProperty("segments", out var segments)
                ? segments.EnumerateArray().ToDictionary(e => e.GetProperty("file").GetString()!, e => $"{e.GetProperty("size").GetInt64()} {e.GetProperty("sha256").GetString()}")
                : []))
            .ToList();

    public async Task<List<Cycle>> CyclesAsync()
    {
        var cycles = new SortedDictionary<string, Cycle>(StringComparer.Ordinal);
        foreach (var (name, comment) in await ArchivesAsync())
        {
            var fields = name.Split('~');
            var stamp = fields[^1];
            if (!cycles.TryGetValue(stamp, out var c))
            {
                cycles[stamp] = c = new Cycle(stamp, null, [], [], []);
            }
            switch (fields[3])
            {
                case "base":
                    cycles[stamp] = c = c with { Base = JsonDocument.Parse(comment).RootElement.Clone() };
                    break;
                case "wal":
                    c.WalArchives.Add(name);
                    c.WalFiles.AddRange(JsonDocument.Parse(comment).RootElement.GetProperty("files").EnumerateArray().Select(e => e.GetString()!));
                    break;
                case "tblspc":
                    c.TablespaceArchives.Add(name);
                    break;
            }
        }
        return cycles.Values.ToList();
    }

    /// <summary>
    /// Requires every segment from the first base's start to <paramref name="last"/> in some cycle's WAL (nothing lost)
    /// and, with <paramref name="everyBaseComplete"/>, every cycle's base complete.
    /// </summary>
    public async Task AssertNoSegmentMissingAsync(string last, bool everyBaseComplete = false)
    {
        var cycles = await CyclesAsync();
        if (everyBaseComplete)
        {
            Assert.All(cycles, c => Assert.True(c.Base is { } b && b.GetProperty("complete").GetBoolean(), $"cycle {c.Stamp} has no complete base"));
        }
        var first = cycles.First(c => c.Base is not null).Base!.Value.GetProperty("startWalFile").GetString()!;
        var stored = cycles.SelectMany(c => c.WalFiles).ToHashSet();
        var missing = SegmentRange(first, last).Where(s => !stored.Contains(s)).ToList();
        Assert.True(missing.Count == 0, "lost: " + string.Join(", ", missing));
    }

    /// <summary>Segment names from <paramref name="first"/> to <paramref name="last"/> (same timeline, 16 MiB segments).</summary>
    public static IEnumerable<string> SegmentRange(string first, string last)
    {
        var tli = first[..8];
        ulong No(string n) => Convert.ToUInt64(n[8..16], 16) * 256 + Convert.ToUInt64(n[16..24], 16);
        for (var s = No(first); s <= No(last); s++)
        {
            yield return $"{tli}{s / 256:X8}{s % 256:X8}";
        }
    }
}
