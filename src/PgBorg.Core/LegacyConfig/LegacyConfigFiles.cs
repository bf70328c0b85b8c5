namespace PgBorg.LegacyConfig;

/// <summary>Which of the earlier tool's ini files to read: the option, else its environment variable, else its default path.</summary>
public static class LegacyConfigFiles
{
    public const string PgcaDefault = "/etc/pgca.ini";
    public const string PgdumpDefault = "/etc/pgdump.ini";

    /// <summary>
    /// The file, or null when none was asked for and the default is absent (a host that only dumped has no
    /// pgca.ini). A file named by the option or the environment must exist: a typo must not yield a config
    /// silently missing half of the settings.
    /// </summary>
    public static IniFile? Open(string? option, string environmentVariable, string defaultPath)
    {
        var named = !string.IsNullOrEmpty(option) ? option : Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } env ? env : null;
        if (named is null && !File.Exists(defaultPath))
        {
            return null;
        }
        return IniFile.Load(named ?? defaultPath);
    }
}
