namespace PgBorg.Tests;

/// <summary>
/// Tests that hold Console.Out's lock (<see cref="ConsoleOutLock"/>) for seconds: run alone, so that no other test's
/// console output waits for them, and none draws to a descriptor number they have closed should one fail.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleOutCollection
{
    public const string Name = "Console.Out's lock";
}
