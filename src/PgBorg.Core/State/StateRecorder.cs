namespace PgBorg.State;

/// <summary>
/// A daemon's state between rounds: workers report what their round found, and every report rewrites the state
/// file (through <see cref="StateFile"/>, the only writer) and then calls <c>written</c> (the metrics textfile).
/// pgcad's workers run concurrently, so reports are serialised here.
/// </summary>
public sealed class StateRecorder(string stateDirectory, string daemon, Action<DaemonState> written)
{
    private readonly Lock _gate = new();

    // the previous run's results seed this one: the newest dump of a database a restarted daemon has not
    // dumped again yet is still known, and so is the instance's last success
    private DaemonState _state = (StateFile.TryRead(stateDirectory, daemon) ?? DaemonState.Empty(daemon)) with { Pid = Environment.ProcessId };

    public DaemonState Current
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public InstanceState? Instance(string name) => Current.Instances.FirstOrDefault(i => i.Instance == name);

    public DatabaseState? Database(string instance, string? database) =>
        Current.Databases.FirstOrDefault(d => d.Instance == instance && d.Database == database);

    /// <summary>Replaces what is known of the instances, databases and repositories given, keeps the rest, writes.</summary>
    public void Report(IReadOnlyList<InstanceState> instances, IReadOnlyList<DatabaseState> databases, IReadOnlyList<RepositoryState> repositories)
    {
        lock (_gate)
        {
            var state = _state = _state with
            {
                WrittenAt = DateTimeOffset.UtcNow,
                Instances = Merge(_state.Instances, instances, i => i.Instance),
                Databases = Merge(_state.Databases, databases, d => (d.Instance, d.Database)),
                Repositories = Merge(_state.Repositories, repositories, r => r.Repository),
            };
            StateFile.Write(stateDirectory, state);
            // inside the lock too: two workers must not write the same temporary .prom file at once
            written(state);
        }
    }

    private static List<T> Merge<T, TKey>(List<T> old, IReadOnlyList<T> updates, Func<T, TKey> key) where TKey : notnull
    {
        var replaced = updates.Select(key).ToHashSet();
        return old.Where(o => !replaced.Contains(key(o))).Concat(updates).OrderBy(x => key(x).ToString(), StringComparer.Ordinal).ToList();
    }
}
