using System.Globalization;
using PgBorg.Processes;

namespace PgBorg.Borg;

/// <summary>
/// Borg tests its hash index code at the start of every command (its self test: about 50 ms of CPU on a small
/// machine, a fifth of a <c>borg list</c>). Borg's documentation advises those who run it at scale to let the test run
/// after installing or upgrading Borg and then set <c>BORG_SELFTEST=disabled</c>. pgborg runs Borg thousands of times
/// a day, so it does that: commands keep the self test until one has passed with the Borg executable as it is now (its
/// resolved path, size and modification time; an upgrade replaces it), which is recorded under the state directory.
/// Later commands skip the test until the executable changes or <see cref="RetestAfter"/> has passed, so Python
/// libraries upgraded under an unchanged executable are tested again within a day. A <c>BORG_SELFTEST</c> the
/// repository's environment sets is left alone.
/// </summary>
internal static class BorgSelfTest
{
    public const string Variable = "BORG_SELFTEST";
    public static readonly TimeSpan RetestAfter = TimeSpan.FromDays(1);
    private const string MarkerName = "pgborg-selftest-passed";

    // A state directory we cannot write still saves the test within this process
    private static readonly Dictionary<string, (string Identity, DateTime At)> s_passed = new(StringComparer.Ordinal);

    /// <summary>True when a self test passed with <paramref name="executable"/> as it is now, less than a day ago.</summary>
    public static bool Passed(string baseDirectory, string executable, DateTime utcNow)
    {
        if (Identity(executable) is not { } identity)
        {
            return false;
        }
        lock (s_passed)
        {
            if (s_passed.TryGetValue(baseDirectory, out var seen) && seen.Identity == identity && utcNow - seen.At < RetestAfter)
            {
                return true;
            }
        }
        var marker = Path.Combine(baseDirectory, MarkerName);
        try
        {
            var at = File.GetLastWriteTimeUtc(marker);
            return utcNow - at < RetestAfter && at <= utcNow && File.ReadAllText(marker) == identity;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Records that a command which ran the self test succeeded (Borg runs it before anything else).</summary>
    public static void Record(string baseDirectory, string executable, DateTime utcNow)
    {
        if (Identity(executable) is not { } identity)
        {
            return;
        }
        lock (s_passed)
        {
            s_passed[baseDirectory] = (identity, utcNow);
        }
        var marker = Path.Combine(baseDirectory, MarkerName);
        try
        {
            Directory.CreateDirectory(baseDirectory);
            AtomicFile.Write(marker, identity);
            File.SetLastWriteTimeUtc(marker, utcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // only a saving is lost: the next process runs the self test again
        }
    }

    /// <summary>The executable's resolved path, size and modification time; null when it cannot be looked at.</summary>
    private static string? Identity(string executable)
    {
        try
        {
            var file = new FileInfo(executable);
            if (file.LinkTarget is not null)
            {
                file = file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file;
            }
            return !file.Exists ? null : string.Create(CultureInfo.InvariantCulture,
                $"{file.FullName}\n{file.Length}\n{file.LastWriteTimeUtc.Ticks}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
