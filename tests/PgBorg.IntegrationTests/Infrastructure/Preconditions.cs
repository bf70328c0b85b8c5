namespace PgBorg.IntegrationTests.Infrastructure;

/// <summary>
/// What the integration tests need. Missing pieces fail the tests with the reason (never a silent skip):
/// scripts/test.sh installs all of them.
/// </summary>
public static class Preconditions
{
    public static void Require()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("the integration tests run as root (they start PostgreSQL as the postgres user): run scripts/test.sh as root");
        }
        foreach (var path in new[] { $"{PostgresCluster.Bin}/initdb", "/usr/bin/borg", "/usr/sbin/runuser", "/usr/bin/setpriv" })
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: run scripts/test.sh, which installs postgresql-15 and borgbackup");
            }
        }
    }
}
