using System.Text.Json.Serialization;

namespace PgBorg.State;

/// <summary>A repository a daemon used in its last round, and how many archives of this host's instances it holds.</summary>
public sealed record RepositoryState(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("archives")] int Archives);
