using PgBorg.PostgreSql;

namespace PgBorg.Archiving;

/// <summary>
/// The server settings continuous archiving depends on. Anything wrong is reported all at once, each with the
/// exact line to set and where, and pgcad exits 2 before touching anything.
/// </summary>
public static class SettingsCheck
{
    public const int MaxArchiveTimeoutSeconds = 600;

    /// <summary>The archive_command pgcad expects: this binary's absolute path, wal-push, %p.</summary>
    public static string ExpectedArchiveCommand(string binary) => $"{binary} wal-push %p";

    public static IReadOnlyList<string> Problems(ServerSettings s, string binary)
    {
        var problems = new List<string>();
        if (s.WalLevel is not ("replica" or "logical"))
        {
            problems.Add($"wal_level is '{s.WalLevel}': set wal_level = replica (restart needed)");
        }
        if (s.ArchiveMode is not ("on" or "always"))
        {
            problems.Add($"archive_mode is '{s.ArchiveMode}': set archive_mode = on (restart needed)");
        }
        if (!IsOurArchiveCommand(s.ArchiveCommand, binary))
        {
            problems.Add($"archive_command is '{s.ArchiveCommand}': set archive_command = '{ExpectedArchiveCommand(binary)}' (reload)");
        }
        if (s.ArchiveTimeoutSeconds <= 0 || s.ArchiveTimeoutSeconds > MaxArchiveTimeoutSeconds)
        {
            problems.Add($"archive_timeout is {s.ArchiveTimeoutSeconds}s: set archive_timeout = 60 (at most 10min, so a quiet server still archives its last changes; reload)");
        }
        if (s.FullPageWrites != "on")
        {
            problems.Add("full_page_writes is off: set full_page_writes = on (base backups taken while pages change need it; reload)");
        }
        return problems;
    }

    /// <summary>
    /// The command must run a pgborg binary with wal-push %p. Any path to the same binary (a symlink, /usr/bin vs
    /// /usr/local/bin) is accepted as long as it resolves to this executable.
    /// </summary>
    public static bool IsOurArchiveCommand(string command, string binary)
    {
        var parts = command.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[1] != "wal-push" || parts[2] != "%p" || !parts[0].StartsWith('/'))
        {
            return false;
        }
        return Processes.PathIdentity.Same(parts[0], binary);
    }

    /// <summary>
    /// Throws <see cref="SettingsException"/> when the server answering on the instance's socket and port is not the
    /// configured cluster, is a standby, or is not set up for archiving. Backup mode on one cluster while another
    /// cluster's directory is copied would give a base that restores to garbage.
    /// </summary>
    public static void Ensure(PgInstance instance, ServerSettings s, string binary)
    {
        if (IdentityProblem(instance, s, WalFileCheck.ReadSystemIdentifier(instance.DataDirectory)) is { } wrong)
        {
            throw new SettingsException($"{instance.Name}: {wrong}");
        }
        var problems = Problems(s, binary);
        if (problems.Count > 0)
        {
            throw new SettingsException(Describe(instance, s, problems));
        }
    }

    public static string? IdentityProblem(PgInstance instance, ServerSettings s, ulong? configuredSystemIdentifier)
    {
        var where = $"the server on {instance.SocketDirectory} port {instance.Port}";
        if (!Processes.PathIdentity.Same(instance.DataDirectory, s.DataDirectory))
        {
            return $"{where} serves data directory {s.DataDirectory}, not the configured {instance.DataDirectory}; refusing to archive the wrong cluster (check port and socket_directory)";
        }
        if (configuredSystemIdentifier is { } id && s.SystemIdentifier != id.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return $"{where} has database system identifier {s.SystemIdentifier}, but {instance.DataDirectory}/global/pg_control says {id}; refusing to archive the wrong cluster";
        }
        if (s.InRecovery)
        {
            return $"{where} is a standby (in recovery): pgcad archives primaries only; archive the primary, whose WAL holds everything the standby replays (this instance is skipped, the others go on)";
        }
        return null;
    }

    /// <summary>One message for all problems, naming the configuration file to edit.</summary>
    public static string Describe(PgInstance instance, ServerSettings s, IReadOnlyList<string> problems) =>
        $"{instance.Name}: PostgreSQL is not set up for continuous archiving; in {s.ConfigFile} (or with ALTER SYSTEM): " + string.Join("; ", problems);
}
