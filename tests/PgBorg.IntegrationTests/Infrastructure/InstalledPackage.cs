namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// The pgborg Debian package installed on this machine for one test: built from the published binary under test
/// (scripts/build-deb.sh --no-publish, lintian included), installed with apt-get, and purged again on dispose
/// whatever the test did, so a failing test never leaves /usr/bin/pgborg or its units behind. The other
/// integration tests drive artifacts/publish/pgborg and never the installed copy.
/// </summary>
public sealed class InstalledPackage : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Noninteractive = new()
    {
        ["DEBIAN_FRONTEND"] = "noninteractive",
        ["LANG"] = "C.UTF-8",
    };

    private readonly bool _stateDirectoryExisted = Directory.Exists("/var/lib/pgborg");

    private InstalledPackage(string deb, RunResult build)
    {
        Deb = deb;
        Build = build;
    }

    /// <summary>The .deb, relative to the repository root as an administrator types it (./artifacts/pgborg_*.deb).</summary>
    public string Deb { get; }

    /// <summary>The output of build-deb.sh, lintian's report included.</summary>
    public RunResult Build { get; }

    public RunResult? Install { get; private set; }

    public static async Task<InstalledPackage> BuildAsync()
    {
        foreach (var tool in new[] { "/usr/bin/dpkg-deb", "/usr/bin/apt-get", "/usr/bin/lintian", "/usr/bin/man", "/usr/share/bash-completion/bash_completion", "/usr/bin/systemd-analyze" })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: run scripts/prerequisites.sh (scripts/test.sh does)");
            }
        }
        // never purge an installation this test did not make
        if (await IsOnMachineAsync())
        {
            throw new InvalidOperationException("the pgborg package is already on this machine; the package test installs and purges it, so remove it first: apt-get purge pgborg");
        }
        var build = await Run.ProgramAsync("/bin/bash", ["scripts/build-deb.sh", "--no-publish"], workingDirectory: SourceTree.Root, timeout: TimeSpan.FromMinutes(8));
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/build-deb.sh failed: {build}");
        }
        var debs = Directory.GetFiles(Path.Combine(SourceTree.Root, "artifacts"), "pgborg_*.deb");
        return debs.Length == 1
            ? new InstalledPackage("./artifacts/" + Path.GetFileName(debs[0]), build)
            : throw new InvalidOperationException($"expected one artifacts/pgborg_*.deb, found {debs.Length}");
    }

    public async Task<RunResult> InstallAsync()
    {
        Install = await AptAsync("install", "-y", "-q", Deb);
        return Install;
    }

    public Task<RunResult> AptAsync(params string[] args) =>
        Run.ProgramAsync("/usr/bin/apt-get", [.. args.Prepend("DPkg::Lock::Timeout=300").Prepend("-o")], Noninteractive, SourceTree.Root, TimeSpan.FromMinutes(5));

    /// <summary>Installed, or removed with its conffiles still there, or half-installed: anything but gone.</summary>
    public static async Task<bool> IsOnMachineAsync()
    {
        var status = await Run.ProgramAsync("/usr/bin/dpkg-query", ["-W", "-f=${db:Status-Status}", "pgborg"]);
        return status.ExitCode == 0 && status.Stdout is not ("not-installed" or "");
    }

    public async ValueTask DisposeAsync()
    {
        // purges a package left installed or half-removed by a failed test; dpkg --purge needs no package lists
        if (await IsOnMachineAsync())
        {
            await AptAsync("purge", "-y", "-q", "pgborg");
        }
        if (await IsOnMachineAsync())
        {
            // half-installed after a failed maintainer script: apt refuses, dpkg can still purge it
            await Run.ProgramAsync("/usr/bin/dpkg", ["--force-remove-reinstreq", "--purge", "pgborg"], Noninteractive, timeout: TimeSpan.FromMinutes(5));
        }
        // purge keeps /var/lib/pgborg on purpose (Borg's keys); only this test's copy goes
        if (!_stateDirectoryExisted && Directory.Exists("/var/lib/pgborg"))
        {
            Directory.Delete("/var/lib/pgborg", true);
        }
    }
}
