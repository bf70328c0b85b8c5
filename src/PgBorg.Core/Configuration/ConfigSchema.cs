namespace PgBorg.Configuration;

/// <summary>Every key pgborg accepts and its type. Anything else in the file is an error.</summary>
internal static class ConfigSchema
{
    public enum Kind { String, Integer, Boolean, Duration, StringList, Snapshot, Compression, Size }

    public static readonly IReadOnlyDictionary<string, Kind> Top = new Dictionary<string, Kind>
    {
        ["state_directory"] = Kind.String,
        ["host_name"] = Kind.String,
        ["log_level"] = Kind.String,
    };

    public static readonly IReadOnlyDictionary<string, Kind> Discovery = new Dictionary<string, Kind>
    {
        ["debian"] = Kind.Boolean,
        ["systemd"] = Kind.Boolean,
        ["debian_root"] = Kind.String,
        ["systemd_unit_directories"] = Kind.StringList,
    };

    public static readonly IReadOnlyDictionary<string, Kind> Instance = new Dictionary<string, Kind>
    {
        ["data_directory"] = Kind.String,
        ["port"] = Kind.Integer,
        ["socket_directory"] = Kind.String,
        ["user"] = Kind.String,
        ["bin_directory"] = Kind.String,
    };

    private static readonly Dictionary<string, Kind> Repository = new()
    {
        ["repository"] = Kind.String,
        ["passcommand"] = Kind.String,
        ["passphrase"] = Kind.String,
        ["lock_wait"] = Kind.Duration,
        ["compression"] = Kind.Compression,
        ["chunker_params"] = Kind.String,
    };

    public static readonly IReadOnlyDictionary<string, Kind> Archive = With(Repository, new()
    {
        ["snapshot"] = Kind.Snapshot,
        ["ingest_interval"] = Kind.Duration,
        ["cycle_max_age"] = Kind.Duration,
        ["keep_cycles"] = Kind.Integer,
        ["keep_within"] = Kind.Duration,
        ["wal_repository"] = Kind.String,
        ["wal_consolidation"] = Kind.Duration,
        ["spool_max_size"] = Kind.Size,
    });

    public static readonly IReadOnlyDictionary<string, Kind> Dump = With(Repository, new()
    {
        ["interval"] = Kind.Duration,
        ["keep_within"] = Kind.Duration,
        ["keep_hourly"] = Kind.Integer,
        ["keep_daily"] = Kind.Integer,
        ["keep_weekly"] = Kind.Integer,
        ["keep_monthly"] = Kind.Integer,
        ["keep_yearly"] = Kind.Integer,
    });

    public static readonly IReadOnlyDictionary<string, Kind> Metrics = new Dictionary<string, Kind>
    {
        ["textfile_directory"] = Kind.String,
    };

    public static readonly IReadOnlyDictionary<string, Kind> Alerts = new Dictionary<string, Kind>
    {
        ["max_wal_age"] = Kind.Duration,
        ["max_base_age"] = Kind.Duration,
        ["max_dump_age"] = Kind.Duration,
    };

    public static readonly IReadOnlySet<string> SnapshotMethods = new HashSet<string> { "auto", "btrfs", "reflink", "lvm", "direct" };

    private static Dictionary<string, Kind> With(Dictionary<string, Kind> a, Dictionary<string, Kind> b)
    {
        var d = new Dictionary<string, Kind>(a);
        foreach (var (k, v) in b)
        {
            d[k] = v;
        }
        return d;
    }

    public static string Describe(Kind kind) => kind switch
    {
        Kind.String => "a string",
        Kind.Integer => "an integer",
        Kind.Boolean => "true or false",
        Kind.Duration => "a duration such as \"30s\", \"10m\", \"2h\" or \"7d\"",
        Kind.StringList => "an array of strings",
        Kind.Size => "a size such as \"50GB\" or \"512MB\" (or \"\" for none)",
        Kind.Snapshot => "one of \"auto\", \"btrfs\", \"reflink\", \"lvm\", \"direct\"",
        _ => "a Borg compression spec such as \"lz4\", \"zstd,3\" or \"auto,zstd,6\"",
    };
}
