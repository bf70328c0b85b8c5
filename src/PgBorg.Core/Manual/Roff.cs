namespace PgBorg.Manual;

/// <summary>Text made safe for man(7) roff input.</summary>
internal static class Roff
{
    /// <summary>
    /// Backslashes and hyphens escaped (a plain '-' may be typeset as a hyphen, and options must copy-paste as
    /// ASCII minus), and a line that would start with '.' or '\'' protected so it is not read as a request.
    /// </summary>
    public static string Text(string s)
    {
        var escaped = s.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal);
        return escaped.Length > 0 && escaped[0] is '.' or '\'' ? "\\&" + escaped : escaped;
    }

    /// <summary>A quoted macro argument (.TH, .SS): inner quotes doubled as groff expects.</summary>
    public static string Quoted(string s) => "\"" + Text(s).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
