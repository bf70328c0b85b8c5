using System.Text.Json.Serialization;

namespace PgBorg.Borg;

[JsonSerializable(typeof(ArchiveCommentCache.CacheFile))]
internal sealed partial class CommentCacheJsonContext : JsonSerializerContext;
