namespace PgBorg.Configuration;

/// <summary>A configuration error: one line naming the file, the line and the key. Exit code 2, nothing touched.</summary>
public sealed class ConfigException(string file, int line, string key, string problem)
    : Exception(line > 0 ? $"{file}:{line}: {key}: {problem}" : $"{file}: {key}: {problem}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Key { get; } = key;
}
