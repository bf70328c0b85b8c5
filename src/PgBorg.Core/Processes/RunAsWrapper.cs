namespace PgBorg.Processes;

/// <summary>
/// Runs a child as another account without a shell: when we are root, the program is started through
/// <c>setpriv --reuid --regid --init-groups --</c>, which keeps the argument vector and the environment we
/// chose exactly as they are (unlike <c>su -</c>). When we already are that account it runs directly, unless it
/// must die with its parent: setpriv then only sets that (no privilege is needed for it).
/// </summary>
internal static class RunAsWrapper
{
    public const string SetPriv = "/usr/bin/setpriv";

    public static (string Program, IReadOnlyList<string> Arguments) Wrap(ProcessSpec spec)
    {
        var switchUser = spec.RunAs is not null && spec.RunAs.Uid != Native.geteuid();
        if (!switchUser && !spec.DieWithParent)
        {
            return (spec.Program, spec.Arguments);
        }
        if (switchUser && !OsUser.IsRoot)
        {
            throw new ProcessFailedException(spec.Program, 126,
                $"cannot run {spec.DisplayName} as {spec.RunAs!.Name}: pgborg runs as {OsUser.Current.Name}, not as root or {spec.RunAs.Name}");
        }
        var args = new List<string>();
        if (switchUser)
        {
            args.AddRange([$"--reuid={spec.RunAs!.Uid}", $"--regid={spec.RunAs.Gid}", "--init-groups"]);
            if (spec.KeepReadAccess)
            {
                args.Add("--inh-caps=+dac_read_search");
                args.Add("--ambient-caps=+dac_read_search");
            }
        }
        if (spec.DieWithParent)
        {
            // setpriv sets it after changing the user, whose change of credentials would clear it
            args.Add("--pdeathsig=TERM");
        }
        args.Add("--");
        args.Add(spec.Program);
        args.AddRange(spec.Arguments);
        return (SetPriv, args);
    }
}
