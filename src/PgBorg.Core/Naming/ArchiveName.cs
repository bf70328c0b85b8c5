namespace PgBorg.Naming;

/// <summary>
/// Archive names: fields joined by '~' — host, instance, "pg" + major version, kind, the kind's own fields, and
/// last the UTC stamp. Every field is <see cref="NameCodec"/>-encoded, so '~' separates fields unambiguously.
/// <list type="bullet">
/// <item>dump: <c>HOST~INSTANCE~pg15~dump~DATABASE~20261125T114700Z</c> (stamp = start of the dump)</item>
/// <item>globals: <c>HOST~INSTANCE~pg15~globals~20261125T114700Z</c></item>
/// <item>base backup: <c>HOST~INSTANCE~pg15~base~CYCLE</c> (the data directory; stamp = the cycle)</item>
/// <item>tablespace of a base: <c>HOST~INSTANCE~pg15~tblspc~OID~CYCLE</c></item>
/// <item>WAL batch: <c>HOST~INSTANCE~pg15~wal~FIRST~LAST~CYCLE</c> (first and last file of the batch)</item>
/// <item>restore point: <c>HOST~INSTANCE~pg15~restorepoint~NAME~20261125T114700Z</c> (stamp = its creation)</item>
/// </list>
/// While a dump is being written its archive carries the kind <c>partial-dump</c> / <c>partial-globals</c>;
/// only a complete, verified dump is renamed to its final name.
/// </summary>
public sealed record ArchiveName(string Host, string Instance, int PgVersion, string Kind, IReadOnlyList<string> Fields, DateTimeOffset Time)
{
    public const char Separator = '~';
    public const string DumpKind = "dump";
    public const string GlobalsKind = "globals";
    public const string BaseKind = "base";
    public const string TablespaceKind = "tblspc";
    public const string WalKind = "wal";
    public const string RestorePointKind = "restorepoint";
    public const string PartialPrefix = "partial-";

    public ArchiveName(string host, string instance, int pgVersion, string kind, string? database, DateTimeOffset time)
        : this(host, instance, pgVersion, kind, database is null ? [] : [database], time)
    {
    }

    /// <summary>The database of a dump.</summary>
    public string? Database => BareKind == DumpKind && Fields.Count == 1 ? Fields[0] : null;

    public bool IsPartial => Kind.StartsWith(PartialPrefix, StringComparison.Ordinal);

    public string BareKind => IsPartial ? Kind[PartialPrefix.Length..] : Kind;

    /// <summary>The cycle stamp of an archiving archive (base, tablespace, WAL).</summary>
    public string Cycle => Stamp.Of(Time);

    public override string ToString()
    {
        var fields = new List<string> { NameCodec.Encode(Host), NameCodec.Encode(Instance), $"pg{PgVersion}", Kind };
        fields.AddRange(Fields.Select(NameCodec.Encode));
        fields.Add(Stamp.Of(Time));
        return string.Join(Separator, fields);
    }

    public ArchiveName AsPartial() => this with { Kind = PartialPrefix + Kind };

    public ArchiveName AsFinal() => this with { Kind = BareKind };

    public bool Equals(ArchiveName? other) => other is not null && ToString() == other.ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    /// <summary>Glob selecting every archive of one instance on one host.</summary>
    public static string InstanceGlob(string host, string instance) =>
        $"{NameCodec.Encode(host)}{Separator}{NameCodec.Encode(instance)}{Separator}*";

    private static int FieldCount(string bareKind) => bareKind switch
    {
        DumpKind => 1,
        GlobalsKind => 0,
        BaseKind => 0,
        TablespaceKind => 1,
        WalKind => 2,
        RestorePointKind => 1,
        _ => -1,
    };

    public static bool TryParse(string name, out ArchiveName archive)
    {
        archive = null!;
        var f = name.Split(Separator);
        if (f.Length < 5 || !NameCodec.TryDecode(f[0], out var host) || !NameCodec.TryDecode(f[1], out var instance)
            || !f[2].StartsWith("pg", StringComparison.Ordinal) || !int.TryParse(f[2].AsSpan(2), System.Globalization.NumberStyles.None, null, out var version)
            || !Stamp.TryParse(f[^1], out var time))
        {
            return false;
        }
        var kind = f[3];
        var bare = kind.StartsWith(PartialPrefix, StringComparison.Ordinal) ? kind[PartialPrefix.Length..] : kind;
        if (FieldCount(bare) != f.Length - 5)
        {
            return false;
        }
        var fields = new List<string>();
        foreach (var encoded in f[4..^1])
        {
            if (!NameCodec.TryDecode(encoded, out var value))
            {
                return false;
            }
            fields.Add(value);
        }
        archive = new ArchiveName(host, instance, version, kind, fields, time);
        return true;
    }
}
