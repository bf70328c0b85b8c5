using System.Text.RegularExpressions;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(PgBorg.IntegrationTests.LongestFirst))]

namespace PgBorg.IntegrationTests;

/// <summary>
/// Hands xunit the test classes that take longest first. A class is one collection, and its tests run one after
/// another: a long class started late runs alone at the end while the other threads are idle (in the run of
/// 2026-12-07 at 1118bb0, WalExtractorTests started at 19 min 25 s and the last 2 min 40 s ran one test at a time).
/// Only the order changes, never what runs; a class missing from the list comes after those in it, by name. xunit's
/// scheduler starts the first classes in this order, but does not keep to it for the rest in every run (at 8630c58
/// ArchivingTests started 14 minutes in): long classes are also kept short (CycleExpiryTests apart from ArchivingTests, BaseCrashTests apart from
/// ArchiveCrashTests).
/// </summary>
public sealed partial class LongestFirst : ITestCollectionOrderer
{
    /// <summary>The slowest classes, slowest first (their tests' time added up, in the same run).</summary>
    private static readonly string[] Slowest =
    [
        nameof(PostgresVersionMatrixTests), nameof(ArchiveCrashTests), nameof(BaseCrashTests), nameof(ArchivingTests), nameof(CycleExpiryTests), nameof(WalRepositoryTests),
        nameof(ServerCrashTests), nameof(BaseFilesCacheTests), nameof(TopologyTests), nameof(RestoreSequenceTests),
        nameof(ConnectionCutTests), nameof(VerifyTests), nameof(WalExtractorTests), nameof(WalSegmentSizeTests),
        nameof(StandbyTests), nameof(ArchiveSnapshotTests), nameof(ClockJumpTests), nameof(SpoolFullTests),
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
