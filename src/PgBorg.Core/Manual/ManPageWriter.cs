using System.Globalization;

namespace PgBorg.Manual;

/// <summary>
/// Section 1 manual pages rendered from the command line's own help (<see cref="CommandHelp"/>): pgborg(1) with
/// every command, and one page per tool name (pgcad(1)...) with its subcommands.
/// </summary>
public static class ManPageWriter
{
    public static string Render(CommandHelp command, IReadOnlyList<string> toolNames, string version, DateOnly date)
    {
        var isRoot = command.Path.Count == 0;
        var name = command.Name;
        var w = new StringWriter { NewLine = "\n" };
        w.WriteLine($".TH {name.ToUpperInvariant()} 1 {Roff.Quoted(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))} {Roff.Quoted("pgborg " + version)} \"pgborg manual\"");
        w.WriteLine(".SH NAME");
        // the root's description starts with its own name ("pgborg: ..."), which NAME already says
        var summary = command.Description.StartsWith(name + ": ", StringComparison.Ordinal) ? command.Description[(name.Length + 2)..] : command.Description;
        w.WriteLine($"{Roff.Text(name)} \\- {Roff.Text(Sentence(summary))}");
        w.WriteLine(".SH SYNOPSIS");
        foreach (var c in command.SelfAndDescendants().Where(c => c.Subcommands.Count == 0 && (!isRoot || !UnderTool(c, toolNames))))
        {
            Synopsis(w, c, isRoot ? "pgborg" : name);
        }
        if (isRoot)
        {
            foreach (var tool in toolNames)
            {
                w.WriteLine($".B {tool}");
                w.WriteLine("\\&...");
                w.WriteLine(".br");
            }
        }
        w.WriteLine(".SH DESCRIPTION");
        w.WriteLine(Roff.Text(Sentence(command.Description)));
        w.WriteLine(".PP");
        w.WriteLine(isRoot
            ? Roff.Text($"pgborg is one program that also answers to the names {string.Join(", ", toolNames)} (symbolic links to it): started under one of them it behaves as pgborg NAME, so pgcarestore restore is pgborg pgcarestore restore. Each has its own manual page.")
            : Roff.Text($"{name} is a name of pgborg (a symbolic link to it): {name} ARGS is pgborg {name} ARGS."));
        var own = command.Options.Where(o => !o.Common).ToList();
        if (own.Count > 0 || command.Arguments.Count > 0)
        {
            w.WriteLine(".SH OPTIONS");
            Arguments(w, command.Arguments);
            Options(w, own);
        }
        var below = command.SelfAndDescendants().Skip(1).Where(c => !isRoot || !UnderTool(c, toolNames)).ToList();
        if (below.Count > 0)
        {
            w.WriteLine(".SH COMMANDS");
            foreach (var c in below)
            {
                w.WriteLine($".SS {Roff.Quoted(string.Join(' ', c.Path.Skip(isRoot ? 0 : 1).Prepend(isRoot ? "pgborg" : name)))}");
                w.WriteLine(Roff.Text(Sentence(c.Description)));
                Arguments(w, c.Arguments);
                Options(w, c.Options.Where(o => !o.Common).ToList());
            }
        }
        if (isRoot)
        {
            w.WriteLine(".SS Tools");
            foreach (var c in command.Subcommands.Where(c => toolNames.Contains(c.Name)))
            {
                w.WriteLine(".TP");
                w.WriteLine($".BR {c.Name} (1)");
                w.WriteLine(Roff.Text(Sentence(c.Description)));
            }
        }
        w.WriteLine(".SH COMMON OPTIONS");
        Options(w, command.SelfAndDescendants().SelectMany(c => c.Options).Where(o => o.Common).DistinctBy(o => o.Names[0]).ToList());
        w.WriteLine(".SH EXIT STATUS");
        foreach (var (code, meaning) in ExitStatus)
        {
            w.WriteLine(".TP");
            w.WriteLine(code);
            w.WriteLine(Roff.Text(meaning));
        }
        w.WriteLine(".SH ENVIRONMENT");
        w.WriteLine(".TP");
        w.WriteLine(".B PGBORG_CONFIG");
        w.WriteLine(Roff.Text("The configuration file when --config is not given."));
        w.WriteLine(".SH FILES");
        w.WriteLine(".TP");
        w.WriteLine(Roff.Text("/etc/pgborg/pgborg.toml"));
        w.WriteLine(Roff.Text("The configuration, see pgborg.toml(5)."));
        w.WriteLine(".TP");
        w.WriteLine(Roff.Text("/var/lib/pgborg"));
        w.WriteLine(Roff.Text("Borg's keys, cache and security files, lock files."));
        w.WriteLine(".SH SEE ALSO");
        var see = toolNames.Where(t => t != name).Select(t => $"{t} (1)").Prepend(isRoot ? null : "pgborg (1)").Append("pgborg.toml (5)").Append("borg (1)").OfType<string>().ToList();
        for (var i = 0; i < see.Count; i++)
        {
            w.WriteLine($".BR {see[i]}{(i < see.Count - 1 ? " ," : "")}");
        }
        return w.ToString();
    }

    /// <summary>The exit codes every command shares (INTERFACE.md); wal-push and wal-fetch follow PostgreSQL's rules instead.</summary>
    private static readonly (string Code, string Meaning)[] ExitStatus =
    [
        ("0", "Success."),
        ("1", "Failed: PostgreSQL, Borg or the system said no; the message says which and why."),
        ("2", "Usage or configuration error; nothing was touched."),
        ("3", "Not found: no such instance, database, backup or restore point, or nothing at or before the requested time."),
        ("4", "Refused as unsafe: a non-empty target directory, a running instance, a WAL gap between base and target."),
    ];

    private static void Synopsis(StringWriter w, CommandHelp c, string program)
    {
        var words = c.Path.Skip(program == "pgborg" ? 0 : 1).Select(Roff.Text);
        w.WriteLine($".B {Roff.Text(program)}{string.Concat(words.Select(x => " " + x))}");
        foreach (var o in c.Options.Where(o => !o.Common))
        {
            w.WriteLine(o.ValueName is null ? $"[\\fB{Roff.Text(o.Names[^1])}\\fR]" : $"[\\fB{Roff.Text(o.Names[^1])}\\fR \\fI{Roff.Text(ValueText(o))}\\fR]");
        }
        foreach (var a in c.Arguments)
        {
            w.WriteLine(a.Optional ? $"[\\fI{Roff.Text(a.Name)}\\fR]" : $"\\fI{Roff.Text(a.Name)}\\fR");
        }
        w.WriteLine(".br");
    }

    private static void Arguments(StringWriter w, IReadOnlyList<ArgumentHelp> arguments)
    {
        foreach (var a in arguments)
        {
            w.WriteLine(".TP");
            w.WriteLine($".I {Roff.Text(a.Name)}");
            w.WriteLine(Roff.Text(Sentence(a.Description)));
        }
    }

    private static void Options(StringWriter w, IReadOnlyList<OptionHelp> options)
    {
        foreach (var o in options)
        {
            w.WriteLine(".TP");
            var names = string.Join(", ", o.Names.Select(n => $"\\fB{Roff.Text(n)}\\fR"));
            w.WriteLine(o.ValueName is null ? names : $"{names} \\fI{Roff.Text(ValueText(o))}\\fR");
            w.WriteLine(Roff.Text(Sentence(o.Description)));
        }
    }

    /// <summary>Commands of a tool name are documented on the tool's own page, not again in pgborg(1).</summary>
    private static bool UnderTool(CommandHelp c, IReadOnlyList<string> toolNames) => c.Path.Count > 0 && toolNames.Contains(c.Path[0]);

    private static string ValueText(OptionHelp o) => o.Values.Count > 0 ? string.Join('|', o.Values) : o.ValueName!;

    private static string Sentence(string s) => s.Length == 0 || s.EndsWith('.') ? s : s + ".";
}
