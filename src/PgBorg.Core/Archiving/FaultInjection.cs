namespace PgBorg.Archiving;

/// <summary>
/// Named points where the crash tests stop pgcad. When <c>PGBORG_FAULT_POINT</c> names a point, reaching it prints
/// <c>PGBORG-FAULT-POINT name</c> on stderr and blocks, so the test can kill -9 the process exactly there.
/// Without the variable (always, in production) a point costs one string comparison.
/// </summary>
public static class FaultInjection
{
    private static readonly string? Armed = Environment.GetEnvironmentVariable("PGBORG_FAULT_POINT");

    public static void Point(string name)
    {
        if (Armed is not null && Armed == name)
        {
            Console.Error.WriteLine($"PGBORG-FAULT-POINT {name}");
            Console.Error.Flush();
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
