using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Snapshots;

namespace PgBorg.Tests;

public sealed class ChunkSizingTests
{
    private const long GiB = 1L << 30;

    [Theory]
    [InlineData(0L, 65536)]
    [InlineData(20 * GiB, 65536)]
    [InlineData(256 * GiB, 65536)]
    [InlineData(256 * GiB + 1, 131072)]
    [InlineData(512 * GiB, 131072)]
    [InlineData(1024 * GiB, 262144)]
    [InlineData(1024 * GiB + 65536 * 4, 524288)]
    [InlineData(4096 * GiB, 1048576)]
    [InlineData(1L << 50, 8388608)]
    public void The_chunk_is_64_KiB_up_to_256_GiB_then_the_smallest_power_of_two_within_4M_chunks_at_most_8_MiB(long bytes, int chunk)
    {
        Assert.Equal(chunk, ChunkSizing.ChunkBytesFor(bytes));
        Assert.Equal($"fixed,{chunk}", ChunkSizing.ChunkerFor(bytes));
        if (chunk < ChunkSizing.MaxChunk)
        {
            Assert.True((bytes + chunk - 1) / chunk <= ChunkSizing.ChunkBudget);
        }
    }

    [Fact]
    public void The_model_gives_what_the_README_states_per_TiB()
    {
        const long tib = 1L << 40;
        Assert.Equal("2.75 GB", ChunkSizing.Describe(ChunkSizing.MemoryInUse(tib, 65536)));
        Assert.Equal("687.9 MB", ChunkSizing.Describe(ChunkSizing.MemoryInUse(tib, 262144)));
        Assert.Equal("172 MB", ChunkSizing.Describe(ChunkSizing.MemoryInUse(tib, 1048576)));
        // a 1 TiB data directory gets 256 KiB chunks: 4M of them
        Assert.Equal(262144, ChunkSizing.ChunkBytesFor(tib));
        Assert.Equal(240, ChunkSizing.MemoryInUse(0, 65536, files: 1));
    }

    [Theory]
    [InlineData("/usr/bin/borg create --log-json --lock-wait 5 --json --compression lz4 --comment '{\"a\": \" --chunker-params fixed,8192 \"}' --chunker-params fixed,65536 --exclude 'sh:pg_wal/*' ::h~i~pg15~base~20260101T000000Z -- .", "fixed,65536")]
    [InlineData("/usr/bin/borg create --chunker-params fixed,262144 ::a -- .", "fixed,262144")]
    [InlineData("/usr/bin/borg create --chunker-params 'buzhash,19,23,21,4095' ::a .", "buzhash,19,23,21,4095")]
    [InlineData("/usr/bin/borg create --json ::a .", BorgRepository.BorgDefaultChunker)]
    public void The_chunker_an_archive_was_made_with_is_read_from_its_command_line(string commandLine, string chunker) =>
        Assert.Equal(chunker, BorgRepository.ChunkerParamsOf(commandLine));

    [Theory]
    [InlineData("/srv/pg/data.pgborg-snapshot", true)]
    [InlineData("/srv/pg/data.pgborg-snapshot-20260101T000000Z", true)]
    [InlineData("/srv/pg/data.pgborg-snapshot-", false)]
    [InlineData("/srv/pg/data.pgborg-snapshot.old", false)]
    [InlineData("/srv/pg/.pgborg-snapshot", false)]
    [InlineData("srv/pg/data.pgborg-snapshot", false)]
    public void Only_a_snapshot_name_is_ever_released(string path, bool ok) =>
        Assert.Equal(ok, SnapshotNames.IsSnapshotPath(path));

    [Fact]
    public void The_snapshot_path_is_the_same_for_every_base() =>
        Assert.Equal("/srv/pg/data.pgborg-snapshot", SnapshotNames.SiblingOf("/srv/pg/data"));
}
