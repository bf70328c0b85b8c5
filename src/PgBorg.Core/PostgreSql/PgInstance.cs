using PgBorg.Processes;

namespace PgBorg.PostgreSql;

/// <summary>One PostgreSQL server on this host, fully resolved.</summary>
public sealed record PgInstance(
    string Name,
    string DataDirectory,
    int Port,
    string SocketDirectory,
    OsUser User,
    string BinDirectory,
    int MajorVersion,
    string Source)
{
    public string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>A libpq connection string for the instance's Unix socket, with every value quoted.</summary>
    public string ConnInfo(string database) =>
        $"host={Quote(SocketDirectory)} port={Port} user={Quote(User.Name)} dbname={Quote(database)} application_name=pgborg";

    /// <summary>libpq quoting: single quotes, with backslash and quote escaped by a backslash.</summary>
    public static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>Environment for programs run as the service user against this instance (no secrets of ours inherited).</summary>
    public Dictionary<string, string> ChildEnvironment() => new(StringComparer.Ordinal)
    {
        ["PATH"] = $"{BinDirectory}:/usr/local/bin:/usr/bin:/bin",
        ["HOME"] = User.Home,
        ["USER"] = User.Name,
        ["LOGNAME"] = User.Name,
        ["LANG"] = "C.UTF-8",
        ["PGHOST"] = SocketDirectory,
        ["PGPORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PGUSER"] = User.Name,
    };
}
