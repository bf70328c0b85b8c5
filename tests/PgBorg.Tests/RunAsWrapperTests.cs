using PgBorg.Processes;

namespace PgBorg.Tests;

public sealed class RunAsWrapperTests
{
    [Fact]
    public void A_program_run_as_ourselves_runs_directly()
    {
        var (program, args) = RunAsWrapper.Wrap(new ProcessSpec("/bin/true", ["x"]) { RunAs = OsUser.Current });
        Assert.Equal("/bin/true", program);
        Assert.Equal(["x"], args);
    }

    [Fact]
    public void A_program_that_must_die_with_its_parent_goes_through_setpriv_even_as_ourselves()
    {
        var spec = new ProcessSpec("/usr/bin/pg_dump", ["--dbname", "x"]) { RunAs = OsUser.Current, DieWithParent = true };
        var (program, args) = RunAsWrapper.Wrap(spec);
        Assert.Equal(RunAsWrapper.SetPriv, program);
        Assert.Equal(["--pdeathsig=TERM", "--", "/usr/bin/pg_dump", "--dbname", "x"], args);
    }

    [Fact]
    public void As_root_for_another_user_the_death_signal_is_set_besides_the_user_change()
    {
        Assert.SkipUnless(OsUser.IsRoot, "needs root");
        var other = new OsUser("someone", 4242, 4343, "/nonexistent");
        var (program, args) = RunAsWrapper.Wrap(new ProcessSpec("/usr/bin/pg_dump", ["x"]) { RunAs = other, DieWithParent = true });
        Assert.Equal(RunAsWrapper.SetPriv, program);
        Assert.Equal(["--reuid=4242", "--regid=4343", "--init-groups", "--pdeathsig=TERM", "--", "/usr/bin/pg_dump", "x"], args);
    }
}
