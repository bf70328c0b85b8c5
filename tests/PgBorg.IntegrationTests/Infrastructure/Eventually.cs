namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// The tests' one wait for what another process does: polls a condition every 0.1 s until it holds, and fails the
/// test with <c>failure</c> when it still does not after <c>timeout</c>.
/// </summary>
public static class Eventually
{
    public static async Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{failure} (waited {timeout.TotalSeconds:0} s)");
            await Task.Delay(100);
        }
    }

    public static Task AssertAsync(Func<bool> condition, TimeSpan timeout, string failure) =>
        AssertAsync(() => Task.FromResult(condition()), timeout, failure);
}
