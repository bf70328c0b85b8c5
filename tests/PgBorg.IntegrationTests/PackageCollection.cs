namespace PgBorg.IntegrationTests;

/// <summary>Installing and purging changes the whole machine (/usr/bin, /etc, units): nothing else runs meanwhile.</summary>
[CollectionDefinition(nameof(PackageTests), DisableParallelization = true)]
public sealed class PackageCollection;
