namespace PgBorg.LegacyConfig;

/// <summary>An earlier-tool ini file that cannot be read as one: names the file and line. Exit code 2, nothing printed.</summary>
public sealed class LegacyConfigException(string file, int line, string problem)
    : Exception(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}
