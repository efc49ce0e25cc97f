using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Snapshots;

/// <summary>
/// The facts recorded with a triggering image in <c>*.verified.json</c> / <c>*.received.json</c>: which seed, what each
/// model said, what it cost, how far the image is from its seed, and how to reproduce it.
/// </summary>
public sealed record DeviationSnapshot
{
    /// <summary>The layout of this file (2: replayed by the gate, with margins and platform).</summary>
    public int FormatVersion { get; init; } = 2;
    /// <summary>Id of the seed the triggering input was grown from.</summary>
    public required string SeedId { get; init; }
    /// <summary>Top-1 label of the original model.</summary>
    public required int OriginalLabel { get; init; }
    /// <summary>Name of the original label, when known.</summary>
    public string? OriginalLabelName { get; init; }
    /// <summary>Probability of the original model's top-1 label.</summary>
    public required double OriginalProbability { get; init; }
    /// <summary>Top-1 label of the compressed model.</summary>
    public required int CompressedLabel { get; init; }
    /// <summary>Name of the compressed label, when known.</summary>
    public string? CompressedLabelName { get; init; }
    /// <summary>Probability of the compressed model's top-1 label.</summary>
    public required double CompressedProbability { get; init; }
    /// <summary>The original model's probability vector.</summary>
    public double[]? OriginalProbabilities { get; init; }
    /// <summary>The compressed model's probability vector.</summary>
    public double[]? CompressedProbabilities { get; init; }
    /// <summary>Model queries used (both models counted).</summary>
    public long Queries { get; init; }
    /// <summary>L∞ distance to the seed in pixel levels (0..255).</summary>
    public double LInf { get; init; }
    /// <summary>L2 distance to the seed in pixel levels.</summary>
    public double L2 { get; init; }
    /// <summary>SSIM to the seed, when computed.</summary>
    public double? Ssim { get; init; }
    /// <summary>The run seed of the search.</summary>
    public long RunSeed { get; init; }
    /// <summary>Search strategy (e.g. dflare).</summary>
    public string? Strategy { get; init; }
    /// <summary>The mutation operators that built the triggering input, in order.</summary>
    public IReadOnlyList<string> Operators { get; init; } = [];
    /// <summary>The original model's top-1 minus second probability on the input (severity).</summary>
    public double? OriginalMargin { get; init; }
    /// <summary>The compressed model's top-1 minus second probability on the input (severity).</summary>
    public double? CompressedMargin { get; init; }
    /// <summary>The original model's file name when accepted.</summary>
    public string? OriginalModel { get; init; }
    /// <summary>The compressed model's file name when accepted.</summary>
    public string? CompressedModel { get; init; }
    /// <summary>The ONNX Runtime version that produced the labels.</summary>
    public string? OrtVersion { get; init; }
    /// <summary>The CPU architecture and instruction sets of the machine (int8 kernels depend on them).</summary>
    public string? CpuFeatures { get; init; }
    /// <summary>SHA-256 of the original model file.</summary>
    public string? OriginalModelSha256 { get; init; }
    /// <summary>SHA-256 of the compressed model file.</summary>
    public string? CompressedModelSha256 { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The JSON text (indented, LF line endings, no trailing newline).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>Parses a snapshot JSON file.</summary>
    /// <exception cref="DflareException">The file is not a valid snapshot.</exception>
    public static DeviationSnapshot Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<DeviationSnapshot>(File.ReadAllText(path), Json)
                ?? throw new DflareException($"Snapshot '{path}' is empty.");
        }
        catch (JsonException e) { throw new DflareException($"Snapshot '{path}' is not a valid deviation snapshot: {e.Message}", e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DflareException($"Snapshot '{path}' cannot be read: {e.Message}", e); }
    }

    /// <summary>A plain sentence: <c>seed 17: original says cat (0.91), compressed says dog (0.55)</c>.</summary>
    public string Describe() =>
        $"seed {SeedId}: original says {Name(OriginalLabel, OriginalLabelName)} ({OriginalProbability:F3}), compressed says {Name(CompressedLabel, CompressedLabelName)} ({CompressedProbability:F3})";

    private static string Name(int label, string? name) => name is null ? label.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{name} [{label}]";
}
