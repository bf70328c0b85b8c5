using System.Globalization;
using PgBorg.Processes;

namespace PgBorg.Borg;

/// <summary>
/// Borg tests its hash index, crypto and chunker code at the start of every command (its self test: about 50 ms of
/// CPU on a small machine, a fifth of a <c>borg list</c>). Borg's documentation advises those who run it at scale to
/// let the test run after installing or upgrading Borg and then set <c>BORG_SELFTEST=disabled</c>. pgborg runs Borg
/// thousands of times a day, so it does that: commands keep the self test until one has passed with the Borg
/// executable as it was when that command started (<see cref="IdentityOf"/>: its resolved path, device, inode and
/// change time, so an upgrade or any write makes it another), recorded in a marker in Borg's base directory. Later
/// commands skip the test until the executable changes or <see cref="RetestAfter"/> has passed, so Python libraries
/// upgraded under an unchanged executable are tested again within a day. The marker is used only in a directory that
/// is trusted (it and the directories above it root's or ours, writable by nobody else), read without following a
/// link; elsewhere (a restore's probe directory, which belongs to the service user) every command runs the test.
/// </summary>
internal static class BorgSelfTest
{
    public const string Variable = "BORG_SELFTEST";
    public static readonly TimeSpan RetestAfter = TimeSpan.FromDays(1);
    private const string MarkerName = "pgborg-selftest-passed";

    // A marker that cannot be kept still saves the test within this process
    private static readonly Dictionary<string, (string Identity, DateTime At)> s_passed = new(StringComparer.Ordinal);

    /// <summary>The executable's resolved path, device, inode and change time; null when it cannot be looked at.</summary>
    public static string? IdentityOf(string executable)
    {
        if (Native.RealPath(executable) is not { } resolved || FileStatus.Of(resolved) is not { IsRegularFile: true } status)
        {
            return null;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{resolved}\n{status.DeviceMajor}:{status.DeviceMinor}:{status.Inode}\n{status.CtimeNanoseconds}\n");
    }

    /// <summary>True when a self test passed with the executable of <paramref name="identity"/>, less than a day before <paramref name="utcNow"/>.</summary>
    public static bool Passed(string baseDirectory, string identity, DateTime utcNow)
    {
        lock (s_passed)
        {
            if (s_passed.TryGetValue(baseDirectory, out var seen) && seen.Identity == identity && Recent(seen.At, utcNow))
            {
                return true;
            }
        }
        if (MarkerDirectory(baseDirectory) is not { } directory)
        {
            return false;
        }
        try
        {
            // the identity's lines, then the time it passed (ticks)
            var text = ForeignFile.ReadAllText(Path.Combine(directory, MarkerName), maxBytes: 4096).TrimEnd('\n');
            var cut = text.LastIndexOf('\n') + 1;
            return cut > 0 && text[..cut] == identity
                && long.TryParse(text[cut..], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTime.MaxValue.Ticks && Recent(new DateTime(ticks, DateTimeKind.Utc), utcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Records that a command which ran the self test succeeded (Borg runs it before anything else), with the identity
    /// the executable had when that command started. Never throws: only a saving would be lost.
    /// </summary>
    public static void Record(string baseDirectory, string identity, DateTime utcNow)
    {
        lock (s_passed)
        {
            s_passed[baseDirectory] = (identity, utcNow);
        }
        if (MarkerDirectory(baseDirectory) is not { } directory)
        {
            return;
        }
        try
        {
            AtomicFile.Write(Path.Combine(directory, MarkerName), identity + utcNow.Ticks.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the next process runs the self test again
        }
    }

    /// <summary>Within a day, and not in the future (a clock set back does not stretch the day).</summary>
    private static bool Recent(DateTime at, DateTime utcNow) => at <= utcNow && utcNow - at < RetestAfter;

    /// <summary>
    /// The directory without links, when it and every directory above it are root's or ours and nobody else can write
    /// them (<see cref="TrustedDirectory.Is"/>): a marker there is our own. Null otherwise.
    /// </summary>
    private static string? MarkerDirectory(string directory) =>
        Native.RealPath(directory) is { } real && TrustedDirectory.Is(real) ? real : null;
}
