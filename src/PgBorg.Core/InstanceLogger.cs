using Microsoft.Extensions.Logging;

namespace PgBorg;

/// <summary>
/// The logger of everything working for one instance (its cycles, its snapshots, its Borg runs), so that every line
/// names the instance even where the code that logs (Borg, snapshots) does not know it. A message that already starts
/// with the instance's name is left as it is.
/// </summary>
public sealed class InstanceLogger(ILogger inner, string instance) : ILogger
{
    private readonly string _prefix = instance + ": ";

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        inner.Log(logLevel, eventId, state, exception, (s, e) => formatter(s, e) is var message && message.StartsWith(_prefix, StringComparison.Ordinal)
            ? message : _prefix + message);
}
