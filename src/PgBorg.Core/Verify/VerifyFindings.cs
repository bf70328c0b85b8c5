namespace PgBorg.Verify;

/// <summary>What the metadata checks found: problems (verify fails) and notes (what could not be checked, what is in progress).</summary>
public sealed class VerifyFindings
{
    public List<VerifyProblem> Problems { get; } = [];
    public List<string> Notes { get; } = [];
}
