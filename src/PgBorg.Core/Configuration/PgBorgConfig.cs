using System.Text.RegularExpressions;

namespace PgBorg.Configuration;

/// <summary>
/// The validated configuration file. Loading checks every key and type up front and throws a
/// <see cref="ConfigException"/> naming file, line and key; nothing is touched before that succeeds.
/// </summary>
public sealed partial class PgBorgConfig
{
    public const string DefaultPath = "/etc/pgborg/pgborg.toml";
    public const string EnvironmentVariable = "PGBORG_CONFIG";

    private readonly TomlEntries _entries;

    private PgBorgConfig(string path, TomlEntries entries)
    {
        FilePath = path;
        _entries = entries;
        StateDirectory = Str("state_directory") ?? "/var/lib/pgborg";
        HostName = Str("host_name");
        LogLevel = Str("log_level") ?? "info";
        Discovery = new DiscoverySettings(
            Bool("discovery", "debian") ?? true,
            Bool("discovery", "systemd") ?? true,
            Str("discovery", "debian_root") ?? DiscoverySettings.DefaultDebianRoot,
            (IReadOnlyList<string>?)StrList("discovery", "systemd_unit_directories") ?? DiscoverySettings.DefaultUnitDirectories);
        MetricsDirectory = Str("metrics", "textfile_directory") is { } metrics ? (metrics.Length == 0 ? null : metrics) : DefaultMetricsDirectory;
        Instances = entries.Values
            .Where(e => e.Path.Count >= 3 && e.Path[0] == "instances")
            .Select(e => e.Path[1])
            .Concat(TableInstanceNames())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(BindInstance)
            .ToList();
    }

    public string FilePath { get; }
    public string StateDirectory { get; }
    public string? HostName { get; }
    public string LogLevel { get; }
    public DiscoverySettings Discovery { get; }

    /// <summary>Debian's prometheus-node-exporter reads its textfile collector here.</summary>
    public const string DefaultMetricsDirectory = "/var/lib/prometheus/node-exporter";

    /// <summary>Where the daemons write their .prom files; null when <c>textfile_directory = ""</c> turned that off.</summary>
    public string? MetricsDirectory { get; }
    public IReadOnlyList<InstanceSettings> Instances { get; }

    /// <summary>The path to use: the option, else <c>PGBORG_CONFIG</c>, else the default.</summary>
    public static string ResolvePath(string? option) =>
        !string.IsNullOrEmpty(option) ? option
        : System.Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env
        : DefaultPath;

    public static PgBorgConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, 0, "file", $"cannot read the configuration file: {e.Message}");
        }
        var entries = TomlEntries.Parse(text, path);
        foreach (var entry in entries.Values)
        {
            Validate(path, entry);
        }
        CheckPassphrasePermissions(path, entries);
        return new PgBorgConfig(path, entries);
    }

    /// <summary>Effective <c>[dump]</c> settings of an instance: its own <c>[instances.NAME.dump]</c> keys over <c>[dump]</c>.</summary>
    public DumpSettings DumpFor(string instance)
    {
        var s = new Section(this, instance, "dump");
        return new DumpSettings(
            s.Repository(),
            s.Duration("interval") ?? TimeSpan.FromDays(1),
            s.Duration("keep_within") ?? TimeSpan.FromDays(1),
            s.Int("keep_hourly") ?? 24,
            s.Int("keep_daily") ?? 7,
            s.Int("keep_weekly") ?? 52,
            s.Int("keep_monthly") ?? 12,
            s.Int("keep_yearly") ?? 30);
    }

    /// <summary>Effective <c>[archive]</c> settings of an instance.</summary>
    public ArchiveSettings ArchiveFor(string instance)
    {
        var s = new Section(this, instance, "archive");
        var repository = s.Repository();
        var settings = new ArchiveSettings(
            repository,
            s.Str("snapshot") ?? "auto",
            s.Duration("ingest_interval") ?? TimeSpan.FromSeconds(10),
            s.Duration("cycle_max_age") ?? TimeSpan.FromDays(7),
            s.Int("keep_cycles") ?? 3,
            s.Duration("keep_within") ?? TimeSpan.FromDays(90))
        {
            WalConsolidation = s.Duration("wal_consolidation") ?? TimeSpan.FromHours(1),
            SpoolMaxSize = s.Str("spool_max_size") is { Length: > 0 } size && ByteSize.TryParse(size, out var bytes) ? bytes : null,
        };
        return s.Str("wal_repository") is { } wal ? settings with { WalRepository = repository with { Location = wal } } : settings;
    }

    /// <summary>
    /// Effective <c>[alerts]</c> of an instance. max_wal_age's default depends on the server's archive_timeout, so it
    /// stays null here when not set and <see cref="AlertSettings.WalAge"/> computes it.
    /// </summary>
    public AlertSettings AlertsFor(string instance)
    {
        var s = new Section(this, instance, "alerts");
        TimeSpan? baseAge = null, dumpAge = null;
        try
        {
            baseAge = s.Duration("max_base_age") ?? ArchiveFor(instance).CycleMaxAge + TimeSpan.FromDays(1);
        }
        catch (ConfigException)
        {
            // no archiving configured for this instance: nothing to be late
        }
        try
        {
            dumpAge = s.Duration("max_dump_age") ?? 2 * DumpFor(instance).Interval;
        }
        catch (ConfigException)
        {
            // no dumps configured for this instance
        }
        var archive = new Section(this, instance, "archive");
        return new AlertSettings(s.Duration("max_wal_age"), archive.Duration("ingest_interval") ?? TimeSpan.FromSeconds(10), baseAge, dumpAge);
    }

    private readonly struct Section(PgBorgConfig config, string instance, string name)
    {
        private TomlEntry? Get(string key) =>
            config._entries.Get("instances", instance, name, key) ?? config._entries.Get(name, key);

        public string? Str(string key) => Get(key)?.Value as string;

        public int? Int(string key) => Get(key)?.Value is long l ? (int)l : null;

        public TimeSpan? Duration(string key) =>
            Get(key)?.Value is string s && Configuration.Duration.TryParse(s, out var d) ? d : null;

        public RepositorySettings Repository()
        {
            var location = Str("repository");
            if (string.IsNullOrWhiteSpace(location))
            {
                var line = config._entries.TableLine("instances", instance, name) is > 0 and var l ? l : config._entries.TableLine(name);
                throw new ConfigException(config.FilePath, line, $"{name}.repository",
                    $"no Borg repository configured for instance '{instance}': set repository in [{name}] or [instances.{instance}.{name}]");
            }
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var e in config._entries.Values)
            {
                if (e.Path.Count == 3 && e.Path[0] == name && e.Path[1] == "environment")
                {
                    env[e.Path[2]] = (string)e.Value;
                }
            }
            foreach (var e in config._entries.Values)
            {
                if (e.Path.Count == 5 && e.Path[0] == "instances" && e.Path[1] == instance && e.Path[2] == name && e.Path[3] == "environment")
                {
                    env[e.Path[4]] = (string)e.Value;
                }
            }
            var passphrase = Str("passphrase");
            var passcommand = Str("passcommand");
            return new RepositorySettings(location, passphrase, passphrase is null ? passcommand : null, env,
                Duration("lock_wait") ?? TimeSpan.FromMinutes(10),
                Str("compression") ?? "lz4",
                Str("chunker_params"));
        }
    }

    private IEnumerable<string> TableInstanceNames()
    {
        // [instances.NAME] with no keys still declares the instance
        foreach (var e in _entries.Values)
        {
            if (e.Path.Count >= 2 && e.Path[0] == "instances")
            {
                yield return e.Path[1];
            }
        }
    }

    private InstanceSettings BindInstance(string name)
    {
        var line = _entries.TableLine("instances", name);
        return new InstanceSettings(
            name,
            Str("instances", name, "data_directory"),
            Int("instances", name, "port"),
            Str("instances", name, "socket_directory"),
            Str("instances", name, "user"),
            Str("instances", name, "bin_directory"),
            line);
    }

    private string? Str(params string[] path) => _entries.Get(path)?.Value as string;
    private bool? Bool(params string[] path) => _entries.Get(path)?.Value as bool?;
    private int? Int(params string[] path) => _entries.Get(path)?.Value is long l ? (int)l : null;
    private List<string>? StrList(params string[] path) => (_entries.Get(path)?.Value as List<object>)?.Cast<string>().ToList();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex(@"^(none|lz4|zstd(,\d{1,2})?|zlib(,\d)?|lzma(,\d)?|auto,(lz4|zstd(,\d{1,2})?|zlib(,\d)?|lzma(,\d)?))$")]
    private static partial Regex CompressionSpec();

    private static readonly HashSet<string> ReservedEnvironment = new(StringComparer.Ordinal)
    {
        "BORG_PASSPHRASE", "BORG_PASSCOMMAND", "BORG_PASSPHRASE_FD", "BORG_REPO", "BORG_BASE_DIR",
    };

    private static void Validate(string file, TomlEntry e)
    {
        var p = e.Path;
        ConfigSchema.Kind? kind = p switch
        {
            [var k] => ConfigSchema.Top.TryGetValue(k, out var t) ? t : null,
            ["discovery", var k] => ConfigSchema.Discovery.TryGetValue(k, out var t) ? t : null,
            ["archive", "environment", var k] => EnvironmentKey(file, e, k),
            ["dump", "environment", var k] => EnvironmentKey(file, e, k),
            ["metrics", var k] => ConfigSchema.Metrics.TryGetValue(k, out var t) ? t : null,
            ["alerts", var k] => ConfigSchema.Alerts.TryGetValue(k, out var t) ? t : null,
            ["instances", _, "alerts", var k] => ConfigSchema.Alerts.TryGetValue(k, out var t) ? t : null,
            ["archive", var k] => ConfigSchema.Archive.TryGetValue(k, out var t) ? t : null,
            ["dump", var k] => ConfigSchema.Dump.TryGetValue(k, out var t) ? t : null,
            ["instances", _, var k] => ConfigSchema.Instance.TryGetValue(k, out var t) ? t : null,
            ["instances", _, "archive", "environment", var k] => EnvironmentKey(file, e, k),
            ["instances", _, "dump", "environment", var k] => EnvironmentKey(file, e, k),
            ["instances", _, "archive", var k] => ConfigSchema.Archive.TryGetValue(k, out var t) ? t : null,
            ["instances", _, "dump", var k] => ConfigSchema.Dump.TryGetValue(k, out var t) ? t : null,
            _ => null,
        };
        if (kind is null)
        {
            throw new ConfigException(file, e.Line, e.Key, "unknown key");
        }
        var ok = kind switch
        {
            ConfigSchema.Kind.String => e.Value is string,
            ConfigSchema.Kind.Integer => e.Value is long l && l >= 0 && l <= int.MaxValue,
            ConfigSchema.Kind.Boolean => e.Value is bool,
            // keep_within = "0s" turns that rule off; every other duration must be positive
            ConfigSchema.Kind.Duration => e.Value is string s && Duration.TryParse(s, out var d) && (d > TimeSpan.Zero || p[^1] == "keep_within"),
            ConfigSchema.Kind.StringList => e.Value is List<object> list && list.All(x => x is string),
            ConfigSchema.Kind.Snapshot => e.Value is string s && ConfigSchema.SnapshotMethods.Contains(s),
            // "" (the default) means no limit: WAL is never acknowledged unless stored
            ConfigSchema.Kind.Size => e.Value is string s && (s.Length == 0 || ByteSize.TryParse(s, out var b) && b > 0),
            _ => e.Value is string s && CompressionSpec().IsMatch(s),
        };
        if (!ok)
        {
            throw new ConfigException(file, e.Line, e.Key, $"must be {ConfigSchema.Describe(kind.Value)}, not {Show(e.Value)}");
        }
        if (p[^1] == "port" && e.Value is long port && port is < 1 or > 65535)
        {
            throw new ConfigException(file, e.Line, e.Key, $"must be a TCP port number (1-65535), not {port}");
        }
        if (p[^1] is "repository" or "wal_repository" && e.Value is string { Length: 0 })
        {
            throw new ConfigException(file, e.Line, e.Key, "must not be empty");
        }
    }

    private static ConfigSchema.Kind EnvironmentKey(string file, TomlEntry e, string name)
    {
        if (!EnvName().IsMatch(name))
        {
            throw new ConfigException(file, e.Line, e.Key, "is not a valid environment variable name");
        }
        if (ReservedEnvironment.Contains(name))
        {
            throw new ConfigException(file, e.Line, e.Key,
                "is set by pgborg itself: use the repository, passphrase or passcommand keys of the section instead");
        }
        return ConfigSchema.Kind.String;
    }

    private static string Show(object v) => v switch
    {
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        List<object> => "an array",
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };

    private static void CheckPassphrasePermissions(string file, TomlEntries entries)
    {
        var secret = entries.Values.FirstOrDefault(e => e.Path[^1] == "passphrase");
        if (secret is null || OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(file);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new ConfigException(file, secret.Line, secret.Key,
                $"the file holds a passphrase but is readable by group or others (mode {Convert.ToString((int)mode, 8)}): chmod 600 it, or use passcommand");
        }
    }
}
