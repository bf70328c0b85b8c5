using PgBorg.Manual;

namespace PgBorg.Tests;

public sealed class CompletionTests
{
    private static readonly CommandHelp Tree = new([], "pgborg: test", [],
        [new OptionHelp(["-?", "-h", "--help"], null, [], "Help", Common: true), new OptionHelp(["--config"], "CONFIG", [], "Config", Common: true) { Kind = ValueKind.File }],
        [
            new CommandHelp(["pgcarestore"], "Restore", [], [], [
                new CommandHelp(["pgcarestore", "restore"], "Restore it", [],
                    [new OptionHelp(["--target-action"], "TARGET-ACTION", ["pause", "promote", "shutdown"], "At the target", Common: false)], []),
            ]),
            new CommandHelp(["install-links"], "Links", [new ArgumentHelp("DIR", "Where", Optional: false, ValueKind.Directory)], [], []),
        ]);

    private static readonly string Script = BashCompletionWriter.Render(Tree, ["pgcarestore"]);

    [Fact]
    public void Option_names_are_quoted_case_patterns_and_values_complete_as_files_or_fixed_words()
    {
        // --help takes no value, so it is neither skipped as a value-taking option nor offered in its short forms
        Assert.DoesNotContain("-?", Script, StringComparison.Ordinal);
        Assert.Contains("'--config') compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;", Script, StringComparison.Ordinal);
        Assert.Contains("'--target-action') COMPREPLY=($(compgen -W \"pause promote shutdown\" -- \"$cur\")); return 0 ;;", Script, StringComparison.Ordinal);
    }

    [Fact]
    public void Subcommands_are_reached_from_pgborg_and_from_the_tool_name_alike()
    {
        Assert.Contains("pgcarestore) path=${COMP_WORDS[0]##*/} ;;", Script, StringComparison.Ordinal);
        Assert.Contains("\"|pgcarestore\") path=\"pgcarestore\" ;;", Script, StringComparison.Ordinal);
        Assert.Contains("\"pgcarestore|restore\") path=\"pgcarestore restore\" ;;", Script, StringComparison.Ordinal);
        Assert.Contains("\"install-links\") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")); return 0 ;;", Script, StringComparison.Ordinal);
        Assert.EndsWith("complete -F _pgborg pgborg pgcarestore\n", Script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_script_is_valid_bash_and_completes_an_option_value()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("pgborg-completion-").FullName, "pgborg");
        await File.WriteAllTextAsync(path, Script);
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--norc", "-c", ". \"$0\"; COMP_WORDS=(pgcarestore restore --target-action pr); COMP_CWORD=3; _pgborg; echo \"${COMPREPLY[*]}\"", path })
        {
            psi.ArgumentList.Add(a);
        }
        using var bash = System.Diagnostics.Process.Start(psi)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.True(bash.ExitCode == 0, await bash.StandardError.ReadToEndAsync());
        Assert.Equal("promote", output.Trim());
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }
}
