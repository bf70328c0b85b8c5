using System.Globalization;

namespace PgBorg.Archiving;

/// <summary>
/// How big a base's fixed chunks are, from the size of what it stores, so that Borg's memory stays bounded.
/// <para>
/// The model (Borg's docs/internals/data-structures.rst, figures in ../shared/BORG.md "At scale"): Borg keeps one
/// entry per chunk in the repository index (40 B), the chunks cache (44 B) and the files cache (80 B), 164 B in
/// all, plus 240 B per file in the files cache; its hash tables run at a load factor of 0.25–0.75, so the memory
/// allocated is 1.3–4 times that. Chunks ≈ bytes / chunk size. Per TiB of data directory:
/// <list type="table">
/// <item>64 KiB: 16.8M chunks, 2.75 GB in use, 3.7–11 GB allocated (measured: a tiny create into such a
/// repository took 1.94 GB RSS and 6–7 s, since every command loads the index and every commit rewrites it)</item>
/// <item>256 KiB: 4.2M chunks, 0.69 GB in use, 0.9–2.8 GB allocated</item>
/// <item>1 MiB: 1.05M chunks, 0.17 GB in use, 0.23–0.7 GB allocated</item>
/// </list>
/// Each base that changed data adds the changed chunks, so a repository holding several cycles has more chunks
/// than one base.
/// </para>
/// <para>
/// The rule: 64 KiB (a changed 8 KiB page costs 64 KiB; bench/archive 3b measured it against 8 KiB and buzhash)
/// while one base stays within <see cref="ChunkBudget"/> chunks, i.e. up to 256 GiB; beyond, the smallest power of
/// two that keeps it within the budget (128 KiB up to 512 GiB, 256 KiB up to 1 TiB, 1 MiB up to 4 TiB), at most
/// 8 MiB. 4M chunks are a quarter of the 16.8M measured above: about 0.5 GB RSS and under 2 s of start-up per Borg
/// command, and room for the data to grow fourfold (or for retained cycles' changes) before reaching it.
/// </para>
/// </summary>
public static class ChunkSizing
{
    /// <summary>Bytes per chunk in Borg's repository index, chunks cache and files cache together.</summary>
    public const int BytesPerChunk = 40 + 44 + 80;

    /// <summary>Bytes per file in Borg's files cache.</summary>
    public const int BytesPerFile = 240;

    /// <summary>How many chunks one base may have when its chunk size is chosen: 4 Mi.</summary>
    public const long ChunkBudget = 1L << 22;

    /// <summary>The smallest chunk: eight PostgreSQL pages.</summary>
    public const int MinChunk = 64 * 1024;

    /// <summary>The largest: Borg 1.2's largest chunk exponent (CHUNK_MAX_EXP = 23).</summary>
    public const int MaxChunk = 8 * 1024 * 1024;

    /// <summary>The chunk size for a base of <paramref name="dataBytes"/> bytes.</summary>
    public static int ChunkBytesFor(long dataBytes)
    {
        var chunk = MinChunk;
        while (chunk < MaxChunk && (dataBytes + chunk - 1) / chunk > ChunkBudget)
        {
            chunk *= 2;
        }
        return chunk;
    }

    /// <summary>Borg's <c>--chunker-params</c> for a base of <paramref name="dataBytes"/> bytes.</summary>
    public static string ChunkerFor(long dataBytes) => Fixed(ChunkBytesFor(dataBytes));

    public static string Fixed(int chunkBytes) => "fixed," + chunkBytes.ToString(CultureInfo.InvariantCulture);

    /// <summary>Memory Borg's tables hold for <paramref name="dataBytes"/> in chunks of <paramref name="chunkBytes"/> and <paramref name="files"/> files, before the load factor.</summary>
    public static long MemoryInUse(long dataBytes, int chunkBytes, long files = 0) =>
        (dataBytes + chunkBytes - 1) / chunkBytes * BytesPerChunk + files * BytesPerFile;

    /// <summary>"2.75 GB": a byte count in decimal units, as the README states them.</summary>
    public static string Describe(long bytes) => bytes switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1e3).ToString("0", CultureInfo.InvariantCulture) + " kB",
    };
}
