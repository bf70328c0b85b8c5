using System.Globalization;
using System.Text.RegularExpressions;

namespace PgBorg.Manual;

/// <summary>
/// pgborg.toml(5), rendered from the commented example configuration the package installs: every table and key
/// of the example (set or commented out) becomes an entry with the comments around it, and the example itself
/// follows verbatim, so the page and the installed file say the same thing.
/// </summary>
public static partial class ConfigManPageWriter
{
    public static string Render(string example, string version, DateOnly date)
    {
        var w = new StringWriter { NewLine = "\n" };
        w.WriteLine($".TH PGBORG.TOML 5 {Roff.Quoted(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))} {Roff.Quoted("pgborg " + version)} \"pgborg manual\"");
        w.WriteLine(".SH NAME");
        w.WriteLine("pgborg.toml \\- configuration of pgborg and its tools");
        w.WriteLine(".SH SYNOPSIS");
        w.WriteLine(Roff.Text("/etc/pgborg/pgborg.toml"));
        w.WriteLine(".SH DESCRIPTION");
        var lines = example.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var i = 0;
        var intro = new List<string>();
        for (; i < lines.Length && lines[i].StartsWith('#'); i++)
        {
            intro.Add(lines[i].TrimStart('#').Trim());
        }
        Paragraph(w, intro);
        w.WriteLine(Roff.Text("pgborg reads --config PATH, else $PGBORG_CONFIG, else /etc/pgborg/pgborg.toml. Durations are written like 30s, 10m, 2h, 7d, 2w or sums like 1h30m."));
        w.WriteLine(".SH KEYS");
        var pending = new List<string>();
        for (; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                Paragraph(w, pending);
                continue;
            }
            if (Table().Match(line) is { Success: true } t)
            {
                Paragraph(w, pending);
                w.WriteLine($".SS {Roff.Quoted(t.Groups[1].Value)}");
                if (t.Groups[2].Success)
                {
                    w.WriteLine(Roff.Text(Capital(t.Groups[2].Value.Trim())));
                }
                continue;
            }
            if (Key().Match(line) is { Success: true } k)
            {
                w.WriteLine(".TP");
                w.WriteLine($"\\fB{Roff.Text(k.Groups[1].Value)}\\fR = {Roff.Text(k.Groups[2].Value.Trim())}");
                var text = pending.Concat(k.Groups[3].Success ? [Capital(k.Groups[3].Value.Trim())] : []).ToList();
                pending.Clear();
                w.WriteLine(text.Count > 0 ? Roff.Text(string.Join(' ', text)) : Roff.Text(line.StartsWith('#') ? "Commented out in the example." : "Set in the example."));
                continue;
            }
            pending.Add(line.TrimStart('#').Trim());
        }
        Paragraph(w, pending);
        w.WriteLine(".SH EXAMPLE");
        w.WriteLine(Roff.Text("The file as the package installs it:"));
        w.WriteLine(".PP");
        w.WriteLine(".nf");
        foreach (var l in lines)
        {
            w.WriteLine(l.Length == 0 ? "" : Roff.Text(l));
        }
        w.WriteLine(".fi");
        w.WriteLine(".SH SEE ALSO");
        w.WriteLine(".BR pgborg (1),");
        w.WriteLine(".BR pgdumpd (1),");
        w.WriteLine(".BR pgcad (1),");
        w.WriteLine(".BR borg (1)");
        return w.ToString();
    }

    private static void Paragraph(StringWriter w, List<string> text)
    {
        if (text.Count > 0)
        {
            w.WriteLine(".PP");
            w.WriteLine(Roff.Text(string.Join(' ', text)));
            text.Clear();
        }
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    // [table] or #[table], with an optional trailing comment
    [GeneratedRegex(@"^#?\s*\[([A-Za-z0-9_.]+)\]\s*(?:#\s*(.*))?$")]
    private static partial Regex Table();

    // key = value, or # key = value (commented out), with an optional trailing comment after two spaces
    [GeneratedRegex(@"^(?:#\s*)?([a-z_][a-z0-9_]*)\s*=\s*(.+?)(?:\s{2,}#\s*(.*))?$")]
    private static partial Regex Key();
}
