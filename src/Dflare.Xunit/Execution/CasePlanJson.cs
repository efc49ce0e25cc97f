using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Xunit.Execution;

/// <summary>How the cases' plans are written as JSON (one setting for both kinds of case).</summary>
internal static class CasePlanJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        IncludeFields = true, // the shard is a tuple
        Converters = { new JsonStringEnumConverter(), new ReadOnlySetConverter() },
    };

    public static string Write<T>(T plan) => JsonSerializer.Serialize(plan, Options);

    public static T Read<T>(string? json) where T : class =>
        json is null ? throw new JsonException("The case carries no plan.")
            : JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("The case carries no plan.");

    // System.Text.Json writes an IReadOnlySet but cannot make one (ModelOptions.SharedFields).
    private sealed class ReadOnlySetConverter : JsonConverter<IReadOnlySet<string>>
    {
        public override IReadOnlySet<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<HashSet<string>>(ref reader, options) ?? [];

        public override void Write(Utf8JsonWriter writer, IReadOnlySet<string> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Order(StringComparer.Ordinal).ToArray(), options);
    }
}
