using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Dumps;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg;

/// <summary>The exit codes of INTERFACE.md, and which failure maps to which.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int Unsafe = 4;

    public static int For(Exception e) => e switch
    {
        ConfigException => Usage,
        LegacyConfig.LegacyConfigException => Usage,
        Archiving.SettingsException => Usage,
        FormatException => Usage,
        SelectionException s => s.NotFound ? NotFound : Usage,
        NotFoundException => NotFound,
        UnsafeException => Unsafe,
        BorgException or PgException or DumpException or ProcessFailedException or IOException or UnauthorizedAccessException => Failed,
        _ => Failed,
    };
}

/// <summary>Refused because acting would be unsafe (exit 4).</summary>
public sealed class UnsafeException(string message) : Exception(message);
