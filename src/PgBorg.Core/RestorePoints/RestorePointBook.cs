using System.Text.RegularExpressions;
using PgBorg.Borg;
using PgBorg.Naming;
using PgBorg.PostgreSql;

namespace PgBorg.RestorePoints;

/// <summary>
/// pgbuptool: creates <c>restorepoint-YYYYmmddTHHMMSSZ[-SUFFIX]</c> with pg_create_restore_point, switches WAL so the
/// point is archived at once, and records name, time, LSN and timeline in the archive repository as a tiny archive
/// whose comment holds them, so pgcarestore can choose the right base without reading WAL.
/// </summary>
public static partial class RestorePointBook
{
    [GeneratedRegex("^[A-Za-z0-9._-]{1,40}$")]
    private static partial Regex SuffixPattern();

    public static string NameFor(DateTimeOffset time, string? suffix)
    {
        if (suffix is not null && !SuffixPattern().IsMatch(suffix))
        {
            throw new FormatException($"restore point suffix '{suffix}': use up to 40 letters, digits, '.', '_' or '-'");
        }
        return "restorepoint-" + Stamp.Of(time) + (suffix is null ? "" : "-" + suffix);
    }

    public static async Task<RestorePointMetadata> CreateAsync(PgInstance instance, BorgRepository repo, string host, string? suffix, CancellationToken ct)
    {
        var name = NameFor(DateTimeOffset.UtcNow, suffix);
        SessionReply reply;
        await using (var session = await ServerSession.OpenAsync(instance, ct).ConfigureAwait(false))
        {
            reply = await session.CreateRestorePointAsync(name, ct).ConfigureAwait(false);
        }
        var point = new RestorePointMetadata(RestorePointMetadata.CurrentFormat, host, instance.Name, name, reply.Lsn!, reply.Timeline ?? 1,
            reply.Time ?? DateTimeOffset.UtcNow, reply.WalFile!);
        await repo.EnsureInitialisedAsync(ct).ConfigureAwait(false);
        var archive = new ArchiveName(host, instance.Name, instance.MajorVersion, ArchiveName.RestorePointKind, [name], point.Time);
        await using var create = repo.StartCreateFromStdin(archive.ToString(), "restorepoint.json", point.ToJson(), instance.User.Name, ct);
        var bytes = System.Text.Encoding.UTF8.GetBytes(point.ToJson() + "\n");
        await create.Input.WriteAsync(bytes, ct).ConfigureAwait(false);
        create.Input.Close();
        await create.CompleteAsync(ct).ConfigureAwait(false);
        return point;
    }

    /// <summary>The instance's restore points: Borg reads the metadata of those archives only, not of every base and WAL archive.</summary>
    public static async Task<IReadOnlyList<RestorePointMetadata>> ListAsync(BorgRepository repo, string host, string instance, CancellationToken ct) =>
        FromListing(await repo.ListAsync(Glob(host, instance), ct).ConfigureAwait(false), host, instance);

    /// <summary>Selects the restore point archives of one instance (any PostgreSQL version).</summary>
    public static string Glob(string host, string instance) =>
        $"{ArchiveName.InstanceGlob(host, instance)}{ArchiveName.Separator}{ArchiveName.RestorePointKind}{ArchiveName.Separator}*";

    /// <summary>The restore points among an instance's archives (from one listing shared with the cycle catalog).</summary>
    public static IReadOnlyList<RestorePointMetadata> FromListing(IEnumerable<BorgArchiveEntry> archives, string host, string instance)
    {
        return archives
            .Where(a => ArchiveName.TryParse(a.Name, out var n) && n.Kind == ArchiveName.RestorePointKind && n.Host == host && n.Instance == instance)
            .Select(a => RestorePointMetadata.TryParse(a.Comment))
            .OfType<RestorePointMetadata>()
            .OrderBy(p => p.Time)
            .ToList();
    }
}
