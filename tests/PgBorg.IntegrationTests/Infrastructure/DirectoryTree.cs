using System.Security.Cryptography;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>Builds a small data-directory-like tree and describes a tree (types, owners, modes, times, link targets, content hashes) for comparisons.</summary>
public static class DirectoryTree
{
    /// <summary>A tree like a data directory, owned by postgres, 0700; <paramref name="bigFileMiB"/> adds a large file of random data.</summary>
    public static async Task FillAsync(string directory, int bigFileMiB = 0)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "PG_VERSION"), "15\n");
        Directory.CreateDirectory(Path.Combine(directory, "base", "1"));
        Directory.CreateDirectory(Path.Combine(directory, "global"));
        Directory.CreateDirectory(Path.Combine(directory, "pg_wal"));
        File.WriteAllBytes(Path.Combine(directory, "base", "1", "1259"), RandomNumberGenerator.GetBytes(300_000));
        File.WriteAllBytes(Path.Combine(directory, "global", "pg_control"), RandomNumberGenerator.GetBytes(8192));
        File.WriteAllText(Path.Combine(directory, "postgresql.auto.conf"), "# empty\n");
        File.CreateSymbolicLink(Path.Combine(directory, "relative-link"), "PG_VERSION");
        if (bigFileMiB > 0)
        {
            await using var big = File.Create(Path.Combine(directory, "base", "1", "16384"));
            for (var i = 0; i < bigFileMiB; i++)
            {
                await big.WriteAsync(RandomNumberGenerator.GetBytes(1 << 20));
            }
        }
        await Run.CheckedAsync("/usr/bin/chown", "-R", "--no-dereference", "postgres:postgres", directory);
        await Run.CheckedAsync("/usr/bin/chmod", "0700", directory);
        await Run.CheckedAsync("/usr/bin/chmod", "0600", Path.Combine(directory, "global", "pg_control"));
        // one file of another user, as a root-owned file in a data directory would be
        await Run.CheckedAsync("/usr/bin/chown", "root:root", Path.Combine(directory, "postgresql.auto.conf"));
    }

    /// <summary>One line per entry: relative path, type, owner, group, mode, mtime, size and hash for files, target for links.</summary>
    public static async Task<List<string>> DescribeAsync(string directory)
    {
        var listing = await Run.CheckedAsync("/usr/bin/find", directory, "-printf", "%P|%y|%u|%g|%m|%T@|%l\\n");
        var lines = new List<string>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var relative = line[..line.IndexOf('|')];
            var full = Path.Combine(directory, relative);
            var extra = line.Split('|')[1] == "f" ? $"|{new FileInfo(full).Length}|{Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(full)))}" : "";
            lines.Add(line + extra);
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
