using PgBorg.IntegrationTests.Infrastructure;

namespace PgBorg.IntegrationTests;

/// <summary>Instances found without an [instances.*] table: Debian cluster configuration and systemd units, in fixture trees.</summary>
public sealed class DiscoveryTests : IAsyncLifetime
{
    private PostgresCluster _cluster = null!;
    private readonly Sandbox _sandbox = new();

    public async ValueTask InitializeAsync() => _cluster = await PostgresCluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _sandbox.Dispose();
    }

    private string Config(bool debian, bool systemd, string unitDirectories = "") => $"""
        state_directory = "{_sandbox.StateDirectory}"

        [discovery]
        debian = {(debian ? "true" : "false")}
        systemd = {(systemd ? "true" : "false")}
        debian_root = "{_sandbox.Sub("etc-postgresql")}"
        systemd_unit_directories = [{(unitDirectories.Length > 0 ? unitDirectories : $"\"{_sandbox.Sub("units")}\"")}]

        [dump]
        repository = "{_sandbox.Repository}"
        passphrase = "{Sandbox.Passphrase}"
        """;

    /// <summary>/etc/postgresql/15/main with the port set in conf.d, as Debian clusters often have it.</summary>
    private void DebianTree()
    {
        var dir = Directory.CreateDirectory(_sandbox.Sub("etc-postgresql/15/main/conf.d")).Parent!.FullName;
        File.WriteAllText(Path.Combine(dir, "postgresql.conf"), $"""
            data_directory = '{_cluster.DataDirectory}'		# use data in another directory
            port = 5999
            unix_socket_directories = '{_cluster.SocketDirectory},/tmp'
            include_dir = 'conf.d'
            """);
        File.WriteAllText(Path.Combine(dir, "conf.d", "port.conf"), $"port = {_cluster.Port}\n");
        File.WriteAllText(Path.Combine(dir, "start.conf"), "auto\n");
    }

    private void SystemdTree()
    {
        var units = Directory.CreateDirectory(_sandbox.Sub("units")).FullName;
        File.WriteAllText(Path.Combine(units, "postgresql-15.service"), $"""
            [Unit]
            Description=PostgreSQL 15 database server

            [Service]
            Type=notify
            User=postgres
            Environment=PGDATA={_cluster.DataDirectory} "OTHER=x y"
            ExecStart=/usr/lib/postgresql/15/bin/postgres -D $PGDATA
            """);
        var wants = Directory.CreateDirectory(Path.Combine(units, "multi-user.target.wants")).FullName;
        File.CreateSymbolicLink(Path.Combine(wants, "postgresql-15.service"), Path.Combine(units, "postgresql-15.service"));
        // a unit without PGDATA (Debian's template) and a disabled, stopped one are not instances
        File.WriteAllText(Path.Combine(units, "postgresql@.service"), "[Service]\nExecStart=/usr/bin/pg_ctlcluster --skip-systemctl-redirect %i start\n");
        File.WriteAllText(Path.Combine(units, "postgresql-14.service"), "[Service]\nEnvironment=PGDATA=/nonexistent/14/data\n");
    }

    [Fact(Timeout = 180_000)]
    public async Task A_Debian_cluster_is_found_and_dumped_by_its_VERSION_CLUSTER_name()
    {
        DebianTree();
        _sandbox.WriteConfig(Config(debian: true, systemd: false));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("15-main: dumped database postgres", r.Stderr);
        var list = await _sandbox.PgBorgAsync("pgdumprestore", "--instance", "15-main", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("~15-main~pg15~dump~postgres~", list.Stdout);
    }

    [Fact(Timeout = 180_000)]
    public async Task An_enabled_systemd_unit_is_found_by_its_PGDATA_and_User()
    {
        SystemdTree();
        _sandbox.WriteConfig(Config(debian: false, systemd: true));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("15: dumped database postgres", r.Stderr);
        Assert.DoesNotContain("14", r.Stderr.Split('\n').Where(l => l.Contains("dumped")).Select(l => l.Split(": ")[0].Split(' ').Last()));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_packaged_unit_whose_PGDATA_is_set_by_an_override_in_etc_is_found()
    {
        // RHEL-style: the package's unit in /usr/lib points at the default data directory; `systemctl edit` put the
        // real one in /etc/systemd/system/postgresql-15.service.d/override.conf, which hides the same-named drop-in
        // in /usr/lib and is applied after 10-defaults.conf (drop-ins apply sorted by file name)
        var etc = Directory.CreateDirectory(_sandbox.Sub("etc-units")).FullName;
        var lib = Directory.CreateDirectory(_sandbox.Sub("lib-units")).FullName;
        File.WriteAllText(Path.Combine(lib, "postgresql-15.service"), """
            [Service]
            Type=notify
            User=postgres
            Environment=PGDATA=/nonexistent/pgsql/15/data/
            ExecStart=/usr/pgsql-15/bin/postmaster -D ${PGDATA}
            """);
        Directory.CreateDirectory(Path.Combine(lib, "postgresql-15.service.d"));
        File.WriteAllText(Path.Combine(lib, "postgresql-15.service.d", "override.conf"), "[Service]\nEnvironment=PGDATA=/nonexistent/hidden\n");
        Directory.CreateDirectory(Path.Combine(etc, "postgresql-.service.d"));
        File.WriteAllText(Path.Combine(etc, "postgresql-.service.d", "10-defaults.conf"), "[Service]\nEnvironment=PGDATA=/nonexistent/early\n");
        Directory.CreateDirectory(Path.Combine(etc, "postgresql-15.service.d"));
        File.WriteAllText(Path.Combine(etc, "postgresql-15.service.d", "override.conf"), $"[Service]\nEnvironment=PGDATA={_cluster.DataDirectory}\n");
        var wants = Directory.CreateDirectory(Path.Combine(etc, "multi-user.target.wants")).FullName;
        File.CreateSymbolicLink(Path.Combine(wants, "postgresql-15.service"), Path.Combine(lib, "postgresql-15.service"));
        _sandbox.WriteConfig(Config(debian: false, systemd: true, unitDirectories: $"\"{etc}\", \"{lib}\""));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("15: dumped database postgres", r.Stderr);
    }

    [Fact(Timeout = 180_000)]
    public async Task The_same_data_directory_found_twice_is_one_instance()
    {
        DebianTree();
        SystemdTree();
        _sandbox.WriteConfig(Config(debian: true, systemd: true));
        var r = await _sandbox.PgBorgAsync("pgdumpd", "--once");
        Assert.True(r.ExitCode == 0, r.ToString());
        var list = await _sandbox.PgBorgAsync("pgdumprestore", "list");
        Assert.True(list.ExitCode == 0, "one instance, so no --instance needed: " + list);
    }
}
