using System.Security.Cryptography;
using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>
/// The Debian package on this machine: built with scripts/build-deb.sh (lintian clean), installed with
/// apt-get install ./artifacts/pgborg_*.deb, its names, man pages, completion, units and a pgdumpd --once against a
/// real cluster, then removed and purged without touching a repository or a spool.
/// </summary>
[Collection(nameof(PackageTests))]
public sealed class PackageTests : IAsyncLifetime
{
    private static readonly string[] Names = ["pgcad", "pgbuptool", "pgcarestore", "pgdumpd", "pgdumprestore"];

    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();
    private InstalledPackage? _package;

    public async ValueTask InitializeAsync()
    {
        Preconditions.Require();
        _cluster = await PostgresCluster.StartAsync();
        await _cluster.SqlAsync("CREATE DATABASE app");
        await _cluster.SqlAsync("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g", "app");
    }

    public async ValueTask DisposeAsync()
    {
        if (_package is not null)
        {
            await _package.DisposeAsync();
        }
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    [Fact(Timeout = 1_200_000)]
    public async Task Installs_with_apt_works_under_every_name_and_purges_without_touching_repositories_or_spools()
    {
        _package = await InstalledPackage.BuildAsync();
        Assert.Contains("lintian: no errors or warnings", _package.Build.Stdout);

        var install = await _package.InstallAsync();
        Assert.True(install.ExitCode == 0, $"apt-get install {_package.Deb}: {install}");

        // the six names
        Assert.Equal(0, (await Run.ProgramAsync("/usr/bin/pgborg", ["--version"])).ExitCode);
        foreach (var name in Names)
        {
            var help = await Run.ProgramAsync("/usr/bin/" + name, ["--help"]);
            Assert.True(help.ExitCode == 0 && help.Stdout.Contains($"pgborg {name}", StringComparison.Ordinal), $"{name} --help: {help}");
        }

        // man pages: found by man, and rendered without a warning
        foreach (var (section, page) in Names.Select(n => ("1", n)).Append(("1", "pgborg")).Append(("5", "pgborg.toml")))
        {
            var where = await Run.ProgramAsync("/usr/bin/man", ["-w", section, page]);
            Assert.Equal($"/usr/share/man/man{section}/{page}.{section}.gz", where.Stdout.Trim());
            var shown = await Run.ProgramAsync("/usr/bin/man", ["--warnings", "-P", "cat", section, page], new Dictionary<string, string> { ["MANWIDTH"] = "100" });
            Assert.True(shown.ExitCode == 0 && shown.Stderr.Length == 0, $"man {section} {page}: {shown.Stderr}");
        }
        Assert.Contains("/usr/share/man/man1/pgborg.1.gz", (await Run.ProgramAsync("/usr/bin/man", ["-w", "pgborg"])).Stdout);

        // bash completion, loaded on demand by bash-completion for any of the names
        Assert.Equal("--target-action --target-dir", await CompleteAsync("pgcarestore", "restore", "--target-"));
        Assert.Equal("pause promote shutdown", await CompleteAsync("pgcarestore", "restore", "--target-action", ""));
        Assert.Equal("extract", await CompleteAsync("pgborg", "pgdumprestore", "ex"));
        Assert.Equal("--once", await CompleteAsync("pgdumpd", "--on"));

        // files, modes, units shipped disabled
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode("/etc/pgborg/pgborg.toml"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode("/var/lib/pgborg"));
        Assert.True(File.Exists("/usr/share/doc/pgborg/copyright") && File.Exists("/usr/share/doc/pgborg/changelog.gz"));
        foreach (var (unit, target) in new[] { ("pgcad.service", "multi-user"), ("pgdumpd.service", "multi-user"), ("pgborg-verify.timer", "timers") })
        {
            Assert.True(File.Exists("/lib/systemd/system/" + unit));
            Assert.False(File.Exists($"/etc/systemd/system/{target}.target.wants/{unit}"), unit + " was enabled");
        }
        Assert.True(File.Exists("/lib/systemd/system/pgborg-verify.service"));
        string[] units = ["pgcad.service", "pgdumpd.service", "pgborg-verify.service", "pgborg-verify.timer"];
        var verify = await Run.ProgramAsync("/usr/bin/systemd-analyze", ["verify", "--man=no", .. units.Select(u => "/lib/systemd/system/" + u)]);
        Assert.True(verify.ExitCode == 0 && !new[] { "pgcad", "pgdumpd", "pgborg-verify" }.Any(u => verify.Stderr.Contains(u, StringComparison.Ordinal)),
            $"systemd-analyze verify: {verify}");

        // a real dump round with the installed pgdumpd
        _sandbox.WriteConfig(_sandbox.DumpConfig(_cluster));
        var round = await Run.ProgramAsync("/usr/bin/pgdumpd", ["--once"], new Dictionary<string, string> { ["PGBORG_CONFIG"] = _sandbox.ConfigPath }, timeout: TimeSpan.FromMinutes(3));
        Assert.True(round.ExitCode == 0, $"pgdumpd --once: {round}");
        var archives = await _sandbox.ArchiveNamesAsync();
        Assert.Contains(archives, n => n.Contains("~dump~app~", StringComparison.Ordinal));

        // a spool next to the data directory, as pgcad leaves one
        var spool = _cluster.DataDirectory + ".pgborg-spool";
        Directory.CreateDirectory(Path.Combine(spool, "20261206T000000Z"));
        File.WriteAllText(Path.Combine(spool, "20261206T000000Z", "000000010000000000000001"), "not really WAL");
        var before = Fingerprint(_sandbox.Root, spool);

        var remove = await _package.AptAsync("remove", "-y", "-q", "pgborg");
        Assert.True(remove.ExitCode == 0, $"apt-get remove: {remove}");
        Assert.False(File.Exists("/usr/bin/pgborg"));
        Assert.True(File.Exists("/etc/pgborg/pgborg.toml"), "remove must keep the conffile");
        Assert.Equal(before, Fingerprint(_sandbox.Root, spool));

        var purge = await _package.AptAsync("purge", "-y", "-q", "pgborg");
        Assert.True(purge.ExitCode == 0, $"apt-get purge: {purge}");
        Assert.False(File.Exists("/etc/pgborg/pgborg.toml"));
        Assert.False(await InstalledPackage.IsOnMachineAsync());
        Assert.Equal(before, Fingerprint(_sandbox.Root, spool));
        Assert.Equal(archives, await _sandbox.ArchiveNamesAsync());
    }

    /// <summary>What bash completes for the words typed so far (the last one being completed), with completion loaded as bash-completion loads it.</summary>
    private static async Task<string> CompleteAsync(params string[] words)
    {
        var script = """
            . /usr/share/bash-completion/bash_completion
            __load_completion "$1" || exit 3
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            $(complete -p "$1" | sed -n 's/.*-F \([^ ]*\).*/\1/p') "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}" | sort | xargs
            """;
        var r = await Run.ProgramAsync("/bin/bash", ["--norc", "--noprofile", "-c", script, "complete", .. words]);
        Assert.True(r.ExitCode == 0, $"completing {string.Join(' ', words)}: {r}");
        return r.Stdout.Trim();
    }

    /// <summary>Every file below the directories with its size, mode, modification time and content hash.</summary>
    private static string Fingerprint(params string[] roots) =>
        string.Join('\n', roots.SelectMany(root => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f =>
        {
            var info = new FileInfo(f);
            return $"{f} {info.Length} {info.UnixFileMode} {info.LastWriteTimeUtc:O} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}";
        })));
}
