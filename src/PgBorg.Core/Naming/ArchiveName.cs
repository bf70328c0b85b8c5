namespace PgBorg.Naming;

/// <summary>
/// Archive names: fields joined by '~' — host, instance, "pg" + major version, kind, then the kind's own fields,
/// ending with the UTC stamp. Every field is <see cref="NameCodec"/>-encoded, so '~' separates fields unambiguously.
/// Dumps:   <c>HOST~INSTANCE~pg15~dump~DATABASE~20261125T114700Z</c>
/// Globals: <c>HOST~INSTANCE~pg15~globals~20261125T114700Z</c>
/// While a dump is being written its archive carries the kind <c>partial-dump</c> / <c>partial-globals</c>;
/// only a complete, verified dump is renamed to its final name.
/// </summary>
public sealed record ArchiveName(string Host, string Instance, int PgVersion, string Kind, string? Database, DateTimeOffset Time)
{
    public const char Separator = '~';
    public const string DumpKind = "dump";
    public const string GlobalsKind = "globals";
    public const string PartialPrefix = "partial-";

    public bool IsPartial => Kind.StartsWith(PartialPrefix, StringComparison.Ordinal);

    public override string ToString()
    {
        var fields = new List<string> { NameCodec.Encode(Host), NameCodec.Encode(Instance), $"pg{PgVersion}", Kind };
        if (Database is not null)
        {
            fields.Add(NameCodec.Encode(Database));
        }
        fields.Add(Stamp.Of(Time));
        return string.Join(Separator, fields);
    }

    public ArchiveName AsPartial() => this with { Kind = PartialPrefix + Kind };

    public ArchiveName AsFinal() => IsPartial ? this with { Kind = Kind[PartialPrefix.Length..] } : this;

    /// <summary>Glob selecting every archive of one instance on one host.</summary>
    public static string InstanceGlob(string host, string instance) =>
        $"{NameCodec.Encode(host)}{Separator}{NameCodec.Encode(instance)}{Separator}*";

    public static bool TryParse(string name, out ArchiveName archive)
    {
        archive = null!;
        var f = name.Split(Separator);
        if (f.Length < 5 || !NameCodec.TryDecode(f[0], out var host) || !NameCodec.TryDecode(f[1], out var instance)
            || !f[2].StartsWith("pg", StringComparison.Ordinal) || !int.TryParse(f[2].AsSpan(2), out var version)
            || !Stamp.TryParse(f[^1], out var time))
        {
            return false;
        }
        var kind = f[3];
        var bare = kind.StartsWith(PartialPrefix, StringComparison.Ordinal) ? kind[PartialPrefix.Length..] : kind;
        switch (bare)
        {
            case DumpKind when f.Length == 6 && NameCodec.TryDecode(f[4], out var db):
                archive = new ArchiveName(host, instance, version, kind, db, time);
                return true;
            case GlobalsKind when f.Length == 5:
                archive = new ArchiveName(host, instance, version, kind, null, time);
                return true;
            default:
                return false;
        }
    }
}
