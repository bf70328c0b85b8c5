using System.Text.RegularExpressions;

namespace PgBorg.LegacyConfig;

/// <summary>
/// Where one of the earlier tool's environment variables for Borg goes in pgborg's configuration: the repository,
/// passphrase and passcommand have their own keys (pgborg sets those variables itself and refuses them in
/// <c>environment</c>), the rest is handed to Borg through <c>environment</c> as before, and what pgborg decides
/// itself becomes a comment saying why.
/// </summary>
internal static partial class EnvironmentMapping
{
    public static void Add(RepositoryTable table, IniEntry entry, string source)
    {
        var value = entry.Value;
        if (value.Contains('%', StringComparison.Ordinal))
        {
            // configparser's default interpolation turned %% into % and %(name)s into another key's value; which
            // one the earlier tool used is not in the file, so the value is copied as written and flagged
            table.CommentKey($"{entry.Key} ({source}) contains '%': the earlier tool's ini reader may have interpolated it (%% -> %); check the value below");
        }
        switch (entry.Key.ToUpperInvariant())
        {
            case "BORG_REPO":
                table.SetKey("repository", value, source);
                return;
            case "BORG_PASSCOMMAND":
                table.SetKey("passcommand", value, source);
                return;
            case "BORG_PASSPHRASE":
                table.SetKey("passphrase", value, source);
                table.HoldsPassphrase = true;
                return;
            case "BORG_PASSPHRASE_FD":
                table.CommentKey($"{entry.Key} = {TomlText.CommentSafe(value)}  # {source}: not carried over: pgborg hands Borg the passphrase itself; set passphrase or passcommand");
                return;
            case "BORG_BASE_DIR":
                table.CommentKey($"{entry.Key} = {TomlText.CommentSafe(value)}  # {source}: not carried over: pgborg sets BORG_BASE_DIR to state_directory (Borg's keys, cache and security files live there)");
                return;
            case "XDG_CACHE_HOME":
                // a cache elsewhere would work, but pgborg keeps Borg's cache with its other state; the old cache
                // only saves one cache rebuild, so reusing it is the administrator's choice
                table.CommentEnvironment($"{TomlText.Key(entry.Key)} = {TomlText.Quote(value)}  # {source}: not carried over: pgborg keeps Borg's cache under state_directory; uncomment to reuse the earlier cache");
                return;
        }
        if (!EnvName().IsMatch(entry.Key))
        {
            table.CommentEnvironment($"{TomlText.CommentSafe(entry.Key)} = {TomlText.CommentSafe(value)}  # {source}: not carried over: not a valid environment variable name");
            return;
        }
        table.SetEnvironment(entry.Key, value, source);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}
