using System.Globalization;
using System.Text;

namespace PgBorg.Metrics;

/// <summary>One metric name with its help, its type and its samples, in Prometheus's text exposition format.</summary>
public sealed class MetricFamily(string name, string type, string help)
{
    private readonly List<(string Labels, double Value)> _samples = [];

    public string Name => name;

    public bool IsEmpty => _samples.Count == 0;

    /// <summary>Adds a sample; a null value (not known) is left out rather than written as a guess.</summary>
    public MetricFamily Add(double? value, params (string Name, string Value)[] labels)
    {
        if (value is { } v)
        {
            _samples.Add((Labels(labels), v));
        }
        return this;
    }

    public void WriteTo(StringBuilder o)
    {
        o.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        o.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value) in _samples)
        {
            o.Append(name).Append(labels).Append(' ').Append(Format(value)).Append('\n');
        }
    }

    private static string Labels((string Name, string Value)[] labels) => labels.Length == 0 ? ""
        : "{" + string.Join(",", labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\"")) + "}";

    // the exposition format escapes exactly these three in label values
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Format(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
