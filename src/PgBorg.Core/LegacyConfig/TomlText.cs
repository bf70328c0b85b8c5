using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PgBorg.LegacyConfig;

/// <summary>TOML spelling of the strings and keys the importer writes.</summary>
internal static partial class TomlText
{
    /// <summary>A basic string: quotes, backslashes and control characters escaped, so any ini value survives exactly.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A key or table-name part: bare when TOML allows it, quoted otherwise (an instance named "15.main").</summary>
    public static string Key(string key) => BareKey().IsMatch(key) ? key : Quote(key);

    /// <summary>Text put into a comment: one line, so a value with a newline cannot end the comment early.</summary>
    public static string CommentSafe(string text) => text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex BareKey();
}
