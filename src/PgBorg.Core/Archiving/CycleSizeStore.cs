using System.Text.Json;

namespace PgBorg.Archiving;

/// <summary>
/// Compressed sizes per cycle (base and WAL so far), kept in the state directory so the rotation rule
/// "the cycle's WAL outgrew its base" needs no Borg query. Written atomically (temp + rename). Only
/// <see cref="CycleBook"/> uses it; its WAL loop and its cycle loop both write, hence the lock.
/// </summary>
public sealed class CycleSizeStore(string path)
{
    private readonly Lock _lock = new();
    private CycleSizes? _sizes;

    public CycleSize Get(string cycle)
    {
        lock (_lock)
        {
            return Load().Cycles.GetValueOrDefault(cycle) ?? new CycleSize(0, 0);
        }
    }

    public void AddWal(string cycle, long compressed) => Update(cycle, s => s with { WalCompressed = s.WalCompressed + compressed });

    public void SetBase(string cycle, long compressed) => Update(cycle, s => s with { BaseCompressed = compressed });

    public void Forget(IEnumerable<string> cycles)
    {
        lock (_lock)
        {
            var sizes = Load();
            foreach (var c in cycles)
            {
                sizes.Cycles.Remove(c);
            }
            Save(sizes);
        }
    }

    private void Update(string cycle, Func<CycleSize, CycleSize> change)
    {
        lock (_lock)
        {
            var sizes = Load();
            sizes.Cycles[cycle] = change(sizes.Cycles.GetValueOrDefault(cycle) ?? new CycleSize(0, 0));
            Save(sizes);
        }
    }

    private CycleSizes Load()
    {
        if (_sizes is not null)
        {
            return _sizes;
        }
        try
        {
            _sizes = JsonSerializer.Deserialize(File.ReadAllText(path), ArchivingJsonContext.Default.CycleSizes);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            _sizes = null;
        }
        return _sizes ??= new CycleSizes(new Dictionary<string, CycleSize>(StringComparer.Ordinal));
    }

    private void Save(CycleSizes sizes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(sizes, ArchivingJsonContext.Default.CycleSizes));
        File.Move(temp, path, overwrite: true);
    }
}
