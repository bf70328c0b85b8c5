using System.Globalization;
using System.Text.RegularExpressions;
using PgBorg.Configuration;
using PgBorg.Processes;
using PgBorg.Systemd;

namespace PgBorg.PostgreSql;

/// <summary>
/// The instances pgborg works on: explicit <c>[instances.*]</c> tables first, then Debian clusters
/// (<c>/etc/postgresql/VERSION/CLUSTER</c>, named <c>VERSION-CLUSTER</c>) and systemd units
/// (<c>postgresql[-NN][@NAME].service</c> with <c>Environment=PGDATA=</c>, from the unit or any of its drop-ins),
/// unless discovery is turned off.
/// The same data directory found twice is one instance (the explicit table wins).
/// </summary>
public static partial class InstanceCatalog
{
    public static IReadOnlyList<PgInstance> Load(PgBorgConfig config, Action<string>? warn = null)
    {
        var found = new List<PgInstance>();
        foreach (var s in config.Instances)
        {
            found.Add(FromSettings(config, s));
        }
        if (config.Discovery.Debian)
        {
            AddNew(found, DiscoverDebian(config.Discovery.DebianRoot, warn));
        }
        if (config.Discovery.Systemd)
        {
            AddNew(found, DiscoverSystemd(config.Discovery.SystemdUnitDirectories, warn));
        }
        return found;
    }

    /// <summary>
    /// What discovery finds with its default settings, before any configuration exists (<c>import-config</c>
    /// needs the data directories of the instances the earlier tool's ini names).
    /// </summary>
    public static IReadOnlyList<PgInstance> DiscoverWithDefaults(Action<string>? warn = null)
    {
        var found = new List<PgInstance>();
        AddNew(found, DiscoverDebian(DiscoverySettings.DefaultDebianRoot, warn));
        AddNew(found, DiscoverSystemd(DiscoverySettings.DefaultUnitDirectories, warn));
        return found;
    }

    /// <summary>The instance named, or the only one; otherwise a <see cref="SelectionException"/> listing the candidates.</summary>
    public static PgInstance Select(IReadOnlyList<PgInstance> instances, string? name)
    {
        if (name is not null)
        {
            return instances.FirstOrDefault(i => i.Name == name)
                ?? throw new SelectionException($"no instance named '{name}'; {Candidates(instances)}", notFound: true);
        }
        return instances.Count switch
        {
            1 => instances[0],
            0 => throw new SelectionException("no PostgreSQL instance configured or discovered: add an [instances.NAME] table to the configuration", notFound: true),
            _ => throw new SelectionException($"several instances, choose one with --instance: {Candidates(instances)}", notFound: false),
        };
    }

    /// <summary>All instances, or only the one named.</summary>
    public static IReadOnlyList<PgInstance> SelectAll(IReadOnlyList<PgInstance> instances, string? name) =>
        name is null ? instances : [Select(instances, name)];

    private static string Candidates(IReadOnlyList<PgInstance> instances) =>
        instances.Count == 0 ? "no instances are configured or discovered"
        : "instances: " + string.Join(", ", instances.Select(i => $"{i.Name} ({i.DataDirectory}, port {i.Port})"));

    private static void AddNew(List<PgInstance> into, IEnumerable<PgInstance> discovered)
    {
        foreach (var i in discovered)
        {
            if (!into.Any(x => SameDirectory(x.DataDirectory, i.DataDirectory)) && !into.Any(x => x.Name == i.Name))
            {
                into.Add(i);
            }
        }
    }

    private static bool SameDirectory(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private static PgInstance FromSettings(PgBorgConfig config, InstanceSettings s)
    {
        ConfigException Error(string key, string problem) => new(config.FilePath, s.Line, $"instances.{s.Name}.{key}", problem);

        if (string.IsNullOrWhiteSpace(s.DataDirectory))
        {
            throw Error("data_directory", "missing: every [instances.NAME] table needs data_directory");
        }
        // a data directory that is gone (rm -rf before pgcarestore restore) still names the instance to restore
        var absent = !Directory.Exists(s.DataDirectory);
        var conf = PgConfFile.Read(Path.Combine(s.DataDirectory, "postgresql.conf"));
        var version = ReadVersion(s.DataDirectory)
            ?? VersionFromBinDirectory(s.BinDirectory)
            ?? (absent ? 0 : throw Error("data_directory", $"cannot read {Path.Combine(s.DataDirectory, "PG_VERSION")}: is this a PostgreSQL data directory?"));
        OsUser user;
        if (s.User is not null)
        {
            user = OsUser.Find(s.User) ?? throw Error("user", $"no such operating-system user '{s.User}'");
        }
        else
        {
            var owned = absent ? Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(s.DataDirectory)) ?? "/" : s.DataDirectory;
            user = Owner(owned) ?? throw Error("user", $"cannot tell the owner of {owned}: set user");
            if (absent && user.Uid == 0)
            {
                user = OsUser.Find("postgres") ?? throw Error("user", $"{s.DataDirectory} does not exist and its parent belongs to root: set user");
            }
        }
        return new PgInstance(
            s.Name,
            s.DataDirectory,
            s.Port ?? PortOf(conf),
            s.SocketDirectory ?? SocketOf(conf),
            user,
            s.BinDirectory ?? $"/usr/lib/postgresql/{version}/bin",
            version,
            "configuration");
    }

    internal static int PortOf(IReadOnlyDictionary<string, string> conf) =>
        conf.TryGetValue("port", out var p) && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 5432;

    internal static string SocketOf(IReadOnlyDictionary<string, string> conf) =>
        conf.TryGetValue("unix_socket_directories", out var dirs)
            && dirs.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(d => d.StartsWith('/')) is { } first
            ? first : "/var/run/postgresql";

    internal static int? ReadVersion(string dataDirectory)
    {
        try
        {
            var text = Processes.ForeignFile.ReadAllText(Path.Combine(dataDirectory, "PG_VERSION")).Trim();
            return int.TryParse(text.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"/postgresql/(\d+)/bin/?$")]
    private static partial Regex BinVersion();

    private static int? VersionFromBinDirectory(string? bin) =>
        bin is not null && BinVersion().Match(bin) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    internal static OsUser? Owner(string path)
    {
        try
        {
            return FileStatus.Of(path)?.Uid is { } uid ? OsUser.Find(uid) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<PgInstance> DiscoverDebian(string root, Action<string>? warn)
    {
        if (!Directory.Exists(root))
        {
            yield break;
        }
        foreach (var versionDir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            if (!int.TryParse(Path.GetFileName(versionDir), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                continue;
            }
            foreach (var clusterDir in Directory.GetDirectories(versionDir).Order(StringComparer.Ordinal))
            {
                var confPath = Path.Combine(clusterDir, "postgresql.conf");
                if (!File.Exists(confPath))
                {
                    continue;
                }
                var cluster = Path.GetFileName(clusterDir);
                var startConf = Path.Combine(clusterDir, "start.conf");
                if (File.Exists(startConf) && File.ReadLines(startConf).Any(l => l.Trim() == "disabled"))
                {
                    continue;
                }
                var conf = PgConfFile.Read(confPath);
                var data = conf.GetValueOrDefault("data_directory") ?? $"/var/lib/postgresql/{version}/{cluster}";
                var user = Owner(data) ?? Owner(confPath);
                if (user is null)
                {
                    warn?.Invoke($"Debian cluster {version}/{cluster}: cannot tell the owner of {data}; skipped");
                    continue;
                }
                yield return new PgInstance($"{version}-{cluster}", data, PortOf(conf), SocketOf(conf), user,
                    $"/usr/lib/postgresql/{version}/bin", version, $"debian {confPath}");
            }
        }
    }

    [GeneratedRegex(@"^postgresql(-(\d+))?(@([^/]*))?\.service$")]
    private static partial Regex UnitName();

    private static IEnumerable<PgInstance> DiscoverSystemd(IReadOnlyList<string> unitDirectories, Action<string>? warn)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var enabled = new HashSet<string>(StringComparer.Ordinal);
        var units = new List<(string Name, string File)>();
        foreach (var dir in unitDirectories.Where(Directory.Exists))
        {
            foreach (var wants in Directory.GetDirectories(dir, "*.wants"))
            {
                foreach (var link in Directory.GetFileSystemEntries(wants))
                {
                    enabled.Add(Path.GetFileName(link));
                }
            }
            foreach (var file in Directory.GetFiles(dir, "postgresql*.service").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (UnitName().IsMatch(name) && seen.Add(name))
                {
                    units.Add((name, file));
                }
            }
        }
        foreach (var (unitName, file) in units)
        {
            var m = UnitName().Match(unitName);
            var isTemplate = m.Groups[3].Success && m.Groups[4].Value.Length == 0;
            var instances = isTemplate
                ? enabled.Where(e => e.StartsWith(unitName[..^".service".Length], StringComparison.Ordinal) && e.EndsWith(".service", StringComparison.Ordinal) && e != unitName)
                    .Select(e => (Unit: e, Instance: e[(unitName.Length - ".service".Length)..^".service".Length]))
                : [(Unit: unitName, Instance: m.Groups[4].Value)];
            foreach (var (unit, instance) in instances)
            {
                var (pgdata, user) = ReadUnit([file, .. UnitDropIns.Find(unitDirectories, unit)], instance);
                if (pgdata is null)
                {
                    continue; // e.g. Debian's postgresql@.service: handled by Debian discovery
                }
                var running = File.Exists(Path.Combine(pgdata, "postmaster.pid"));
                if (!enabled.Contains(unit) && !running)
                {
                    continue;
                }
                var osUser = user is not null ? OsUser.Find(user) : Owner(pgdata);
                var version = ReadVersion(pgdata) ?? (m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : (int?)null);
                if (osUser is null || version is null)
                {
                    warn?.Invoke($"systemd unit {unit}: cannot tell the user or version of {pgdata}; skipped");
                    continue;
                }
                var conf = PgConfFile.Read(Path.Combine(pgdata, "postgresql.conf"));
                var name = instance.Length > 0 ? instance : m.Groups[2].Success ? m.Groups[2].Value : "default";
                var bin = Directory.Exists($"/usr/pgsql-{version}/bin") ? $"/usr/pgsql-{version}/bin" : $"/usr/lib/postgresql/{version}/bin";
                yield return new PgInstance(name, pgdata, PortOf(conf), SocketOf(conf), osUser, bin, version.Value, $"systemd {unit}");
            }
        }
    }

    /// <summary>
    /// PGDATA from <c>Environment=</c> and <c>User=</c>, read from the unit file and then its drop-ins, each later
    /// assignment replacing an earlier one as in systemd; %i is the instance.
    /// </summary>
    private static (string? PgData, string? User) ReadUnit(IReadOnlyList<string> files, string instance)
    {
        string? pgdata = null, user = null;
        foreach (var f in files)
        {
            foreach (var raw in File.ReadLines(f))
            {
                var line = raw.Trim();
                if (line.StartsWith("User=", StringComparison.Ordinal))
                {
                    user = line["User=".Length..].Trim();
                }
                else if (line.StartsWith("Environment=", StringComparison.Ordinal))
                {
                    foreach (var assignment in SplitAssignments(line["Environment=".Length..]))
                    {
                        if (assignment.StartsWith("PGDATA=", StringComparison.Ordinal))
                        {
                            pgdata = assignment["PGDATA=".Length..].Replace("%i", instance, StringComparison.Ordinal).Replace("%I", instance, StringComparison.Ordinal);
                        }
                    }
                }
            }
        }
        return (pgdata, user);
    }

    private static IEnumerable<string> SplitAssignments(string value)
    {
        var current = new System.Text.StringBuilder();
        char? quote = null;
        foreach (var c in value)
        {
            if (quote is null && c is '"' or '\'')
            {
                quote = c;
            }
            else if (quote == c)
            {
                quote = null;
            }
            else if (quote is null && char.IsWhiteSpace(c))
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }
}

/// <summary>Instance selection failed: unknown name (exit 3) or ambiguous (exit 2).</summary>
public sealed class SelectionException(string message, bool notFound) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}
