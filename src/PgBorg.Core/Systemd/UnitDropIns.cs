namespace PgBorg.Systemd;

/// <summary>
/// The drop-in files systemd applies to a service unit, in the order it applies them (systemd.unit(5)): the
/// <c>*.conf</c> files of <c>NAME.service.d/</c>, of the template's <c>PREFIX@.service.d/</c> for an instance, of
/// each <c>PREFIX-.service.d/</c> got by cutting the name after a dash, and of <c>service.d/</c>, in every unit
/// directory. A drop-in under an earlier unit directory hides one of the same file name under a later one (that is
/// how <c>/etc</c> overrides <c>/usr/lib</c>); the rest are applied sorted by file name, whichever directory holds them.
/// </summary>
public static class UnitDropIns
{
    public static IReadOnlyList<string> Find(IReadOnlyList<string> unitDirectories, string unit)
    {
        var byName = new SortedDictionary<string, string>(StringComparer.Ordinal);
        // systemd's order: per unit directory, the most specific name first; the first file of a name wins
        var directories = unitDirectories.SelectMany(d => Names(unit).Select(n => Path.Combine(d, n + ".d")))
            .Concat(unitDirectories.Select(d => Path.Combine(d, "service.d")));
        foreach (var directory in directories.Where(Directory.Exists))
        {
            foreach (var file in Directory.GetFiles(directory, "*.conf"))
            {
                byName.TryAdd(Path.GetFileName(file), file);
            }
        }
        return [.. byName.Values];
    }

    /// <summary><c>a-b@i.service</c> → <c>a-b@i.service</c>, <c>a-b@.service</c>, <c>a-.service</c>.</summary>
    internal static IEnumerable<string> Names(string unit)
    {
        const string suffix = ".service";
        yield return unit;
        var stem = unit.EndsWith(suffix, StringComparison.Ordinal) ? unit[..^suffix.Length] : unit;
        var at = stem.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0 && at < stem.Length - 1)
        {
            yield return stem[..(at + 1)] + suffix;
        }
        for (var dash = stem.LastIndexOf('-'); dash > 0; dash = stem.LastIndexOf('-', dash - 1))
        {
            if (dash < stem.Length - 1)
            {
                yield return stem[..(dash + 1)] + suffix;
            }
        }
    }
}
