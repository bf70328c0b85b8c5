namespace PgBorg.LegacyConfig;

/// <summary>
/// <c>pgborg import-config</c>: a pgborg.toml equivalent to the earlier tool's pgca.ini (archiving) and pgdump.ini
/// (dumps). Every value carried over says which file and line it came from; whatever pgborg has no place for is
/// written as a comment saying why, never dropped, so the administrator reviews one file instead of two formats.
/// </summary>
public static class ConfigImporter
{
    private static readonly string[] Verbosity = ["debug", "info", "warning", "error"];

    public static string Convert(IniFile? pgca, IniFile? pgdump, IReadOnlyList<KnownInstance> known)
    {
        if (pgca is null && pgdump is null)
        {
            throw new ArgumentException("at least one of pgca.ini and pgdump.ini is needed");
        }
        var sources = new List<LegacySource>();
        if (pgca is not null)
        {
            sources.Add(new LegacySource(pgca, "archive", known));
        }
        if (pgdump is not null)
        {
            sources.Add(new LegacySource(pgdump, "dump", known));
        }
        var w = new StringWriter { NewLine = "\n" };
        Header(w, pgca, pgdump);
        Top(w, sources);
        foreach (var s in sources)
        {
            GlobalTable(w, s);
        }
        Instances(w, sources, known);
        foreach (var s in sources)
        {
            UnknownSections(w, s);
        }
        return w.ToString();
    }

    private static void Header(StringWriter w, IniFile? pgca, IniFile? pgdump)
    {
        var from = string.Join(" and ", new[] { pgca is null ? null : $"{pgca.Path} (archiving)", pgdump is null ? null : $"{pgdump.Path} (dumps)" }.OfType<string>());
        w.WriteLine($"# pgborg configuration made by `pgborg import-config` from {from}.");
        w.WriteLine("# Review it, then install it as /etc/pgborg/pgborg.toml with mode 0600 (it may hold a passphrase).");
        w.WriteLine("# Each value carried over names the file, line and section it came from; what could not be carried over");
        w.WriteLine("# is a comment saying why.");
        w.WriteLine("#");
        w.WriteLine("# Not in the ini files, to do by hand:");
        if (pgca is not null)
        {
            w.WriteLine("# - archive_command: set archive_command = '/usr/bin/pgborg wal-push %p' in every instance (pgcad checks it");
            w.WriteLine("#   at start and refuses, exit 2, until it is set).");
            w.WriteLine("# - the earlier tool's spools (DATADIR.wals.*) may still hold WAL that is not in Borg: let the earlier pgcad");
            w.WriteLine("#   ingest them before it is stopped. pgborg spools into DATADIR.pgborg-spool and starts with a new cycle.");
        }
        w.WriteLine("# - archives made by the earlier tool keep their names (FQDN-INSTANCE-pgsqlNN-...), which pgborg does not");
        w.WriteLine("#   read (its own are HOST~INSTANCE~pgNN~...): restore them with borg extract, delete them with borg delete.");
        w.WriteLine("# - the earlier tool put the FQDN in archive names; pgborg puts host_name (default: this host's name).");
        w.WriteLine();
    }

    private static void Top(StringWriter w, List<LegacySource> sources)
    {
        w.WriteLine("# Borg's keys, cache and security files (BORG_BASE_DIR), lock files.");
        w.WriteLine("state_directory = \"/var/lib/pgborg\"");
        var levels = new List<(string Level, string Source)>();
        foreach (var s in sources.Where(s => s.Logging is not null))
        {
            var section = s.Logging!;
            foreach (var e in section.Entries)
            {
                var level = e.Key.Equals("level", StringComparison.OrdinalIgnoreCase) ? MapLevel(e.Value) : null;
                if (level is null)
                {
                    w.WriteLine($"# {TomlText.CommentSafe(e.Key)} = {TomlText.CommentSafe(e.Value)}  # {s.Where(section, e)}: not carried over: "
                        + (e.Key.Equals("level", StringComparison.OrdinalIgnoreCase) ? "not a level pgborg knows (debug, info, warning, error)" : "pgborg's logging has only log_level"));
                }
                else
                {
                    levels.Add((level, $"{s.Where(section, e)} level = {TomlText.CommentSafe(e.Value)}"));
                }
            }
        }
        if (levels.Count > 0)
        {
            // one log_level serves every command: the more verbose one loses no message either tool logged
            var kept = levels.MinBy(l => Array.IndexOf(Verbosity, l.Level));
            w.WriteLine($"log_level = {TomlText.Quote(kept.Level)}  # {kept.Source}");
            foreach (var other in levels.Where(l => l != kept))
            {
                w.WriteLine($"# log_level = {TomlText.Quote(other.Level)}  # {other.Source}: not carried over: pgborg has one log_level for every command; the more verbose is kept");
            }
        }
        w.WriteLine();
        w.WriteLine("[discovery]");
        w.WriteLine("# The earlier tool backed up the instances of enabled or running postgresql*.service units. pgborg finds");
        w.WriteLine("# those (systemd) and Debian's clusters (debian; named VERSION-CLUSTER, as in their postgresql@ units).");
        w.WriteLine("debian = true");
        w.WriteLine("systemd = true");
        w.WriteLine();
    }

    private static string? MapLevel(string value) => value.Trim().ToUpperInvariant() switch
    {
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARNING" or "WARN" => "warning",
        // pgborg has no level above error: CRITICAL-only logging becomes error, which logs a little more, never less
        "ERROR" or "CRITICAL" or "FATAL" => "error",
        _ => null,
    };

    private static void GlobalTable(StringWriter w, LegacySource s)
    {
        var what = s.Table == "archive" ? "pgcad, pgbuptool, pgcarestore" : "pgdumpd, pgdumprestore";
        w.WriteLine($"{$"[{s.Table}]",-32} # {what}; from {s.File.Path}");
        if (!s.Global.HasRepository)
        {
            w.WriteLine($"# repository = \"\"  # {s.File.Name} sets no BORG_REPO in [environment]: each instance below needs one, or set it here");
        }
        foreach (var line in s.Global.Keys)
        {
            w.WriteLine(line);
        }
        if (s.Table == "archive")
        {
            w.WriteLine("snapshot = \"auto\"                # the earlier tool made reflink copies; auto takes a btrfs snapshot, a reflink copy, or reads the live directory");
            w.WriteLine("ingest_interval = \"10s\"          # as the earlier tool");
            w.WriteLine("keep_cycles = 3                  # the earlier tool kept the newest 3 base backups...");
            w.WriteLine("keep_within = \"90d\"              # ...and every one younger than 90 days");
            w.WriteLine("# cycle_max_age = \"7d\"           # new in pgborg: a new base at least this often (the earlier tool only when the WAL outgrew the base)");
        }
        else
        {
            w.WriteLine("# The earlier tool dumped every hour, daily when a round took over 1 h, weekly when over 5 h; pgborg has one");
            w.WriteLine("# interval, counted from the start of the previous round: lengthen it if rounds take long.");
            w.WriteLine("interval = \"1h\"");
            w.WriteLine("# The earlier tool's prune rules (borg prune per database):");
            w.WriteLine("keep_within = \"1d\"");
            w.WriteLine("keep_hourly = 24");
            w.WriteLine("keep_daily = 7");
            w.WriteLine("keep_weekly = 52");
            w.WriteLine("keep_monthly = 12");
            w.WriteLine("keep_yearly = 30");
        }
        Environment(w, s.Table, s.Global);
        w.WriteLine();
    }

    private static void Environment(StringWriter w, string table, RepositoryTable t)
    {
        if (t.Environment.Count == 0)
        {
            return;
        }
        w.WriteLine($"{$"[{table}.environment]",-32} # handed to Borg as before");
        foreach (var line in t.Environment)
        {
            w.WriteLine(line);
        }
    }

    private static void Instances(StringWriter w, List<LegacySource> sources, IReadOnlyList<KnownInstance> known)
    {
        var names = sources.SelectMany(s => s.Instances.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var key = TomlText.Key(name);
            var here = known.FirstOrDefault(k => k.Name == name);
            w.WriteLine($"[instances.{key}]");
            if (here is not null)
            {
                w.WriteLine($"data_directory = {TomlText.Quote(here.DataDirectory)}  # found on this host (PostgreSQL {here.MajorVersion})");
            }
            else
            {
                var others = known.Count == 0 ? "none" : string.Join(", ", known.Select(k => k.Name));
                w.WriteLine($"# data_directory = \"\"  # {name} was not found on this host (found: {others}): set its data directory, or rename");
                w.WriteLine($"#   this table to the instance's name here; pgborg refuses to start until then");
            }
            foreach (var s in sources)
            {
                if (!s.Instances.TryGetValue(name, out var t))
                {
                    continue;
                }
                w.WriteLine($"[instances.{key}.{s.Table}]  # from {s.File.Path}; overrides [{s.Table}] for {name}");
                foreach (var line in t.Keys)
                {
                    w.WriteLine(line);
                }
                Environment(w, $"instances.{key}.{s.Table}", t);
            }
            w.WriteLine();
        }
    }

    private static void UnknownSections(StringWriter w, LegacySource s)
    {
        foreach (var section in s.Unknown)
        {
            w.WriteLine($"# [{TomlText.CommentSafe(section.Name)}] ({s.File.Name}:{section.Line}) not carried over: the earlier tool did not read this section");
            foreach (var e in section.Entries)
            {
                w.WriteLine($"#   {TomlText.CommentSafe(e.Key)} = {TomlText.CommentSafe(e.Value)}  # {s.File.Name}:{e.Line}");
            }
            w.WriteLine();
        }
    }
}
