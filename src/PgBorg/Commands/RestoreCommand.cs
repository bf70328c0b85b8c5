using System.CommandLine;
using System.Globalization;
using PgBorg.Archiving;
using PgBorg.Borg;
using PgBorg.Cli.Progress;
using PgBorg.Naming;
using PgBorg.PostgreSql;
using PgBorg.Restore;
using PgBorg.RestorePoints;

namespace PgBorg.Cli.Commands;

/// <summary><c>pgcarestore info [TARGET]</c> and <c>pgcarestore restore [TARGET] [--target-dir DIR] [--target-action A] [--dry-run]</c>.</summary>
internal static class RestoreCommand
{
    private static readonly Option<string?> Time = new("--time") { Description = "Restore to this time (ISO 8601, YYYY-MM-DD, YYYYmmddHHMMSS, THH:MM; no offset = local time)" };
    private static readonly Option<string?> RestorePoint = new("--restore-point") { Description = "Restore to this named restore point" };
    private static readonly Option<string?> Lsn = new("--lsn") { Description = "Restore to this WAL position (e.g. 0/3000060)" };
    private static readonly Option<string?> Xid = new("--xid") { Description = "Restore up to and including the commit of this transaction id" };

    public static Command Create()
    {
        var command = new Command("pgcarestore", "Restore an instance from the archive: the latest state, a time, a restore point, an LSN or a transaction");
        command.Subcommands.Add(Info());
        command.Subcommands.Add(Restore());
        command.Subcommands.Add(ResumeWal());
        return command;
    }

    private static void AddTarget(Command c)
    {
        c.Options.Add(Time);
        c.Options.Add(RestorePoint);
        c.Options.Add(Lsn);
        c.Options.Add(Xid);
    }

    private static Command Info()
    {
        var c = new Command("info", "What restore would do (which base, which WAL range, which settings, whether the target is reachable), "
            + "the recoverable window per timeline and every restore point");
        AddTarget(c);
        c.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var (plan, _, _, index) = await PlanAsync(parse, ctx, "pause", ct, info: true);
            if (parse.GetValue(CommandTree.Json))
            {
                Console.WriteLine(RestoreInfo.Of(plan, index!).ToJson());
                return 0;
            }
            Print(plan, null);
            foreach (var w in index!.Windows)
            {
                Console.WriteLine($"window:       {w}");
            }
            foreach (var p in index.Points)
            {
                Console.WriteLine($"point:        {p}");
            }
            if (index.Unchecked is { } u)
            {
                Console.WriteLine($"unchecked:    {u}");
            }
            return 0;
        }));
        return c;
    }

    private static Command Restore()
    {
        var targetDir = new Option<string?>("--target-dir") { Description = "Restore into this (absent or empty) directory instead of the instance's data directory" };
        var action = new Option<string?>("--target-action") { Description = "At the target: pause (default with a target), promote (default for latest) or shutdown" };
        action.AcceptOnlyFromAmong("pause", "promote", "shutdown");
        var map = new Option<string[]>("--tablespace-map") { Description = "Restore tablespace OID into DIR instead of its original location (OID=DIR, repeatable)", AllowMultipleArgumentsPerToken = false };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say exactly what would be done, touch nothing" };
        var standby = new Option<bool>("--standby") { Description = "Set up a standby that keeps replaying WAL archived after the restore, until promoted (standby.signal, no target)" };
        var c = new Command("restore", "Restore the data directory (and tablespaces) and set up recovery; prints how to finish");
        AddTarget(c);
        c.Options.Add(targetDir);
        c.Options.Add(action);
        c.Options.Add(map);
        c.Options.Add(dryRun);
        c.Options.Add(standby);
        c.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var asStandby = parse.GetValue(standby);
            if (asStandby && (parse.GetValue(Time) ?? parse.GetValue(RestorePoint) ?? parse.GetValue(Lsn) ?? parse.GetValue(Xid) ?? parse.GetValue(action)) is not null)
            {
                throw new FormatException("--standby follows the archive without end: it takes no --time, --restore-point, --lsn, --xid or --target-action");
            }
            var (plan, instance, repos, _) = await PlanAsync(parse, ctx, parse.GetValue(action), ct);
            var dir = parse.GetValue(targetDir) ?? instance.DataDirectory;
            var tablespaces = ParseMap(parse.GetValue(map) ?? []);
            if (parse.GetValue(dryRun))
            {
                Print(plan, dir);
                return 0;
            }
            var follow = asStandby ? new ArchiveSource(ctx.Host, instance.Name, plan.Base.WalSegmentSize) : null;
            await using (var display = ProgressDisplays.Start(ctx.Log))
            {
                // the base's size is in its metadata (null for bases of before it was recorded: then Borg's totals)
                var transfer = display.Track($"restore of {instance.Name}", plan.Base.OriginalSize);
                await new Restorer(repos, instance, ctx.Log, Console.Out) { Transfer = transfer }
                    .RestoreAsync(plan, new Restorer.Options(dir, tablespaces, CommandContext.Binary, follow), ct);
            }
            Print(plan, dir);
            Console.WriteLine();
            Console.WriteLine($"Restored {dir}. Next:");
            Console.WriteLine($"  1. start PostgreSQL (e.g. systemctl start postgresql, or pg_ctl -D {dir} start as {instance.User.Name});");
            if (asStandby)
            {
                Console.WriteLine("  2. it runs as a standby: it replays the archived WAL and, every few seconds, what is archived after it; promote it (pg_ctl promote) to open it for writes.");
                return 0;
            }
            Console.WriteLine(plan.Target.Kind == TargetKind.Latest
                ? "  2. it replays all archived WAL and opens for writes on a new timeline; pgcad archives that timeline once it runs again;"
                : plan.RecoverySettings.GetValueOrDefault("recovery_target_action") == "pause"
                    ? "  2. it replays WAL up to the target and pauses there: check the data (read-only), then SELECT pg_wal_replay_resume(); to open for writes on a new timeline;"
                    : $"  2. it replays WAL up to the target and then does: {plan.RecoverySettings["recovery_target_action"]};");
            Console.WriteLine("  3. start pgcad again (systemctl start pgcad) so archiving continues.");
            return 0;
        }));
        return c;
    }

    private static Command ResumeWal()
    {
        var targetDir = new Option<string?>("--target-dir") { Description = "The directory restore wrote into, if not the instance's data directory" };
        var c = new Command("resume-wal", "Start the background WAL extraction of a restore again after it stopped (reboot, kill) before delivering all WAL");
        c.Options.Add(targetDir);
        c.SetAction((parse, ct) => CommandContext.RunAsync(parse, async ctx =>
        {
            var instance = InstanceCatalog.Select(ctx.Instances, parse.GetValue(CommandTree.Instance));
            var dir = Path.GetFullPath(parse.GetValue(targetDir) ?? instance.DataDirectory);
            return await WalExtractorLauncher.ResumeAsync(ctx.ArchiveRepositories(instance), instance, dir, CommandContext.Binary, Console.Out, ct);
        }));
        return c;
    }

    /// <summary>
    /// The plan for the target given. The WAL archives' comments (the WAL index) are read for <c>info</c>, for
    /// <c>--time</c> and for a restore point pgbuptool did not record; other targets read those of the chosen cycle only.
    /// </summary>
    private static async Task<(RestorePlan Plan, PgInstance Instance, ArchiveRepositories Repos, WalIndexView? Index)> PlanAsync(ParseResult parse, CommandContext ctx,
        string? action, CancellationToken ct, bool info = false)
    {
        var instance = InstanceCatalog.Select(ctx.Instances, parse.GetValue(CommandTree.Instance));
        var time = parse.GetValue(Time) is { } t ? TimeArgument.Parse(t) : (DateTimeOffset?)null;
        var target = RestoreTarget.From(time, parse.GetValue(RestorePoint), parse.GetValue(Lsn), parse.GetValue(Xid));
        var repos = ctx.ArchiveRepositories(instance);
        bool NeedsIndex(IReadOnlyList<BorgArchiveEntry> listed) => info || target.Kind == TargetKind.Time
            || (target.Kind == TargetKind.RestorePoint && RestorePointBook.FromListing(listed, ctx.Host, instance.Name).All(p => p.Name != target.Name));
        var (cycles, archives) = await repos.CyclesForAsync(ctx.Host, instance.Name,
            (outline, listed) => RestorePlanner.Choose(outline, RestorePointBook.FromListing(listed, ctx.Host, instance.Name), target).Cycle, ct, NeedsIndex);
        var points = RestorePointBook.FromListing(archives, ctx.Host, instance.Name);
        var index = NeedsIndex(archives) ? WalIndexView.Of(cycles, points) : null;
        var plan = RestorePlanner.Plan(cycles, points, target, action ?? (target.Kind == TargetKind.Latest ? "promote" : "pause"), $"{CommandContext.Binary} wal-fetch %f %p",
            index);
        return (plan, instance, repos, index);
    }

    private static Dictionary<uint, string> ParseMap(string[] entries)
    {
        var map = new Dictionary<uint, string>();
        foreach (var e in entries)
        {
            var eq = e.IndexOf('=');
            if (eq <= 0 || !uint.TryParse(e.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out var oid) || !e[(eq + 1)..].StartsWith('/'))
            {
                throw new FormatException($"--tablespace-map '{e}': use OID=/absolute/directory");
            }
            map[oid] = e[(eq + 1)..];
        }
        return map;
    }

    private static void Print(RestorePlan plan, string? dir)
    {
        var b = plan.Base;
        Console.WriteLine($"target:       {plan.Target}");
        Console.WriteLine($"base:         {plan.Cycle.BaseArchive} ({b.Method}, ended {b.StoppedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC at LSN {b.StopLsn}, timeline {b.Timeline}, PostgreSQL {b.PgVersion}, system {b.SystemIdentifier})");
        if (b.OriginalSize is { } size)
        {
            Console.WriteLine($"size:         {BorgRepository.FormatBytes(size)}");
        }
        foreach (var ts in b.Tablespaces)
        {
            Console.WriteLine($"tablespace:   {ts.Oid} {ts.Path}");
        }
        Console.WriteLine($"WAL:          {plan.FirstWal} .. {plan.LastWal} in {plan.WalArchives.Count} archive(s), no gap");
        if (dir is not null)
        {
            Console.WriteLine($"data dir:     {dir}");
        }
        foreach (var (k, v) in plan.RecoverySettings)
        {
            Console.WriteLine($"setting:      {k} = '{v}'");
        }
        if (plan.Note is not null)
        {
            Console.WriteLine($"note:         {plan.Note}");
        }
    }
}
