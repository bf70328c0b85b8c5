using PgBorg.Borg;
using PgBorg.Configuration;
using PgBorg.Dumps;
using PgBorg.PostgreSql;
using PgBorg.Processes;

namespace PgBorg.Tests;

public sealed class ExitCodeTests
{
    public static TheoryData<Exception, int> Cases => new()
    {
        { new ConfigException("f", 1, "k", "bad"), 2 },
        { new PgBorg.LegacyConfig.LegacyConfigException("/etc/pgca.ini", 3, "bad"), 2 },
        { new FormatException("bad time"), 2 },
        { new SelectionException("ambiguous", notFound: false), 2 },
        { new SelectionException("no such", notFound: true), 3 },
        { new NotFoundException("no dump"), 3 },
        { new UnsafeException("not empty"), 4 },
        { new BorgException("create", "/r", 2, "PassphraseWrong", ""), 1 },
        { new PgException("down"), 1 },
        { new DumpException("partial"), 1 },
        { new ProcessFailedException("pg_dump", 1, "x"), 1 },
        { new IOException("disk"), 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_failure_maps_to_its_documented_exit_code(Exception e, int code) => Assert.Equal(code, ExitCodes.For(e));

    [Fact]
    public void Borg_errors_are_explained_by_message_id()
    {
        Assert.Contains("wrong passphrase", new BorgException("list", "/r", 2, "PassphraseWrong", "").Message);
        Assert.Contains("locked by another Borg process", new BorgException("create", "/r", 2, BorgException.LockTimeoutId, "Failed to create/acquire the lock").Message);
        Assert.Contains("Borg would not go on without a confirmation: Warning: moved", new BorgException("list", "/r", 2, "Cache.RepositoryAccessAborted", "Warning: moved").Message);
        Assert.Contains("killed by signal 9", new BorgException("create", "/r", 137, null, "").Message);
        Assert.Contains("on repository /r", new BorgException("create", "/r", 2, null, "boom").Message);
    }

    [Fact]
    public void Process_failures_say_program_code_and_stderr()
    {
        var e = new ProcessFailedException("/usr/lib/postgresql/15/bin/pg_dump", 1, "pg_dump: error: connection lost\n");
        Assert.Equal("pg_dump exited with code 1: pg_dump: error: connection lost", e.Message);
    }
}
