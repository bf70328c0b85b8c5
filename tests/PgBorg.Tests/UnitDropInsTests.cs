using PgBorg.Systemd;

namespace PgBorg.Tests;

public sealed class UnitDropInsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgborg-units-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string relative)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
        return path;
    }

    [Fact]
    public void Names_are_the_unit_its_template_and_each_prefix_cut_after_a_dash()
    {
        Assert.Equal(["postgresql-15.service", "postgresql-.service"], UnitDropIns.Names("postgresql-15.service"));
        Assert.Equal(["postgresql@main.service", "postgresql@.service"], UnitDropIns.Names("postgresql@main.service"));
        Assert.Equal(["a-b-c@i.service", "a-b-c@.service", "a-b-.service", "a-.service"], UnitDropIns.Names("a-b-c@i.service"));
    }

    [Fact]
    public void Drop_ins_of_every_unit_directory_apply_sorted_by_file_name_and_an_earlier_directory_hides_the_same_name()
    {
        var etc = Path.Combine(_root, "etc");
        var lib = Path.Combine(_root, "lib");
        var etcOverride = Write("etc/postgresql-15.service.d/override.conf");
        Write("lib/postgresql-15.service.d/override.conf");
        var libEarly = Write("lib/postgresql-15.service.d/10-early.conf");
        var prefix = Write("lib/postgresql-.service.d/50-all-versions.conf");
        var everyService = Write("etc/service.d/90-all.conf");
        Write("etc/postgresql-15.service.d/not-a-drop-in.txt");
        Write("etc/postgresql-14.service.d/other-unit.conf");
        Assert.Equal([libEarly, prefix, everyService, etcOverride], UnitDropIns.Find([etc, lib], "postgresql-15.service"));
    }

    [Fact]
    public void An_instance_reads_its_own_drop_ins_and_those_of_its_template()
    {
        var etc = Path.Combine(_root, "etc");
        var own = Write("etc/postgresql@main.service.d/b.conf");
        var template = Write("etc/postgresql@.service.d/a.conf");
        var hidden = Write("etc/postgresql@.service.d/b.conf");
        Assert.Equal([template, own], UnitDropIns.Find([etc], "postgresql@main.service"));
        Assert.DoesNotContain(hidden, UnitDropIns.Find([etc], "postgresql@main.service"));
    }
}
