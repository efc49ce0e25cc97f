using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Search;

/// <summary>
/// The outcome of searching one seed. Written in <c>results.json</c> files (the search's and the gate's) as the words
/// of <see cref="SearchStatuses.Word"/>: <c>triggered</c>, <c>not-found</c>, <c>already-deviating</c>, <c>replayed</c>.
/// </summary>
[JsonConverter(typeof(SearchStatusJsonConverter))]
public enum SearchStatus
{
    /// <summary>A triggering input was found: the two models' labels differ on it.</summary>
    Triggered,
    /// <summary>The budget (or time limit) was spent without finding one.</summary>
    NotFound,
    /// <summary>The models already disagree on the seed itself; no search was run.</summary>
    AlreadyDeviating,
    /// <summary>No search was run: the gate only replayed an accepted snapshot's input (gate results only).</summary>
    Replayed,
}

/// <summary>The one mapping between <see cref="SearchStatus"/> and its word in result files.</summary>
public static class SearchStatuses
{
    /// <summary>The status's word: <c>triggered</c>, <c>not-found</c>, <c>already-deviating</c> or <c>replayed</c>.</summary>
    public static string Word(this SearchStatus status) => status switch
    {
        SearchStatus.Triggered => "triggered",
        SearchStatus.AlreadyDeviating => "already-deviating",
        SearchStatus.Replayed => "replayed",
        _ => "not-found",
    };

    /// <summary>The status written as <paramref name="word"/>, or null when it is not one of the words.</summary>
    public static SearchStatus? Parse(string? word) => word switch
    {
        "triggered" => SearchStatus.Triggered,
        "already-deviating" => SearchStatus.AlreadyDeviating,
        "not-found" => SearchStatus.NotFound,
        "replayed" => SearchStatus.Replayed,
        _ => null,
    };
}

/// <summary>Reads and writes <see cref="SearchStatus"/> as its word (<see cref="SearchStatuses.Word"/>).</summary>
public sealed class SearchStatusJsonConverter : JsonConverter<SearchStatus>
{
    /// <inheritdoc />
    public override SearchStatus Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var word = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return SearchStatuses.Parse(word) ?? throw new JsonException($"'{word}' is not a search status (triggered, not-found, already-deviating or replayed).");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, SearchStatus value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Word());
}
