using System.Text.RegularExpressions;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(PgBorg.IntegrationTests.LongestFirst))]

namespace PgBorg.IntegrationTests;

/// <summary>
/// Hands xunit the test classes that take longest first. A class is one collection, and its tests run one after
/// another: a long class started late runs alone at the end while the other threads are idle (in the run of
/// 2026-12-07 at 1118bb0, WalExtractorTests started at 19 min 25 s and the last 2 min 40 s ran one test at a time).
/// Only the order changes, never what runs; a class missing from the list comes after those in it, by name. xunit
/// keeps to this order only loosely: its runner (3.2, conservative algorithm) starts every collection with Task.Run
/// from a thread-pool thread, and each then waits for one of the MaxParallelThreads places; the pool's idle workers take
/// those tasks from the front of that thread's queue and the thread itself from the back, so after the first few the
/// classes queue for their places partly in reverse. So long classes are also kept short (CycleExpiryTests apart from
/// ArchivingTests, BaseCrashTests apart from ArchiveCrashTests), and the list is the slowest in a recent run.
/// </summary>
public sealed partial class LongestFirst : ITestCollectionOrderer
{
    /// <summary>The slowest classes, slowest first (their tests' time added up, in the run of 2026-12-07 at e395379).</summary>
    private static readonly string[] Slowest =
    [
        nameof(PostgresVersionMatrixTests), nameof(ArchiveCrashTests), nameof(ConnectionCutTests), nameof(WalRepositoryTests),
        nameof(ServerCrashTests), nameof(ArchivingTests), nameof(CycleExpiryTests), nameof(BaseCrashTests), nameof(ClockJumpTests),
        nameof(SpoolFullTests), nameof(ArchiveSnapshotTests), nameof(StandbyTests), nameof(RestoreSequenceTests),
        nameof(BaseFilesCacheTests), nameof(DumpFailureTests), nameof(TopologyTests), nameof(WalSegmentSizeTests),
        nameof(RemoteRepositoryTests), nameof(WalExtractorTests), nameof(VerifyTests), nameof(DumpHistoryTests),
    ];

    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : notnull, ITestCollection =>
        [.. testCollections.OrderBy(c => Rank(ClassName(c)))
            .ThenBy(c => c.TestCollectionDisplayName, StringComparer.Ordinal)];

    private static int Rank(string className) => Array.IndexOf(Slowest, className) is var i and >= 0 ? i : Slowest.Length;

    /// <summary>The class of a collection of one class ("Test collection for PgBorg.IntegrationTests.X"), or its definition's.</summary>
    private static string ClassName(ITestCollection collection) =>
        TypeName().Match(collection.TestCollectionClassName ?? collection.TestCollectionDisplayName) is { Success: true } m ? m.Groups[1].Value : "";

    [GeneratedRegex(@"PgBorg\.IntegrationTests\.(\w+)")]
    private static partial Regex TypeName();
}
