using System.Globalization;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Onnx;

namespace Dflare.Compression;

/// <summary>A way to compress a model (<c>int8</c>, <c>int8-static</c>, <c>bits:K</c>, <c>fp16</c>, <c>prune:F</c>).</summary>
public interface ICompressionMethod
{
    /// <summary>The method as written on the command line, e.g. <c>bits:4</c>.</summary>
    string Name { get; }

    /// <summary>One line saying what the method does.</summary>
    string Description { get; }

    /// <summary>
    /// Compresses <paramref name="model"/> in place (callers pass a copy). The result must keep the model's inputs and
    /// outputs; every float weighted layer is compressed.
    /// </summary>
    /// <returns>The names of the layers changed and notes on what was done (e.g. an opset upgrade).</returns>
    /// <exception cref="DflareException">The model or the context does not fit the method.</exception>
    CompressionOutcome Apply(OnnxModel model, CompressionContext context);
}

/// <summary>What a compression method did.</summary>
/// <param name="Layers">Stable names of the weighted layers it changed, in graph order.</param>
/// <param name="Notes">Notes for the user (opset upgrade, per-tensor fallback, calibration ranges, ...).</param>
public sealed record CompressionOutcome(IReadOnlyList<string> Layers, IReadOnlyList<string> Notes);

/// <summary>Inputs some methods need besides the model.</summary>
public sealed record CompressionContext
{
    /// <summary>Per-layer bit widths for <c>bits:K</c> (layer name → K); layers not listed get the method's K.</summary>
    public IReadOnlyDictionary<string, int>? BitsPerLayer { get; init; }
    /// <summary>Calibration images for <c>int8-static</c>.</summary>
    public SeedSource? Calibration { get; init; }
    /// <summary>Calibration images to use (default 200).</summary>
    public int CalibrationLimit { get; init; } = 200;
    /// <summary>Preprocessing for running the model on calibration images (as for <see cref="OnnxClassifier.Load"/>).</summary>
    public ModelOptions? ModelOptions { get; init; }
}

/// <summary>Parses method names and per-layer bit lists.</summary>
public static class CompressionMethod
{
    /// <summary>The methods, as written on the command line.</summary>
    public const string Usage = "int8, int8-static, bits:K (K = 2..16), fp16, prune:F (0 < F < 1)";

    /// <summary>Parses <c>int8</c>, <c>int8-static</c>, <c>bits:K</c>, <c>fp16</c> or <c>prune:F</c> (case-insensitive).</summary>
    /// <exception cref="DflareException">Unknown method, K not an integer in 2..16, or F not a number in (0,1).</exception>
    public static ICompressionMethod Parse(string text)
    {
        var t = (text ?? "").Trim();
        var colon = t.IndexOf(':', StringComparison.Ordinal);
        var head = (colon < 0 ? t : t[..colon]).ToLowerInvariant();
        var arg = colon < 0 ? null : t[(colon + 1)..].Trim();
        switch (head)
        {
            case "int8" when arg is null: return new Int8WeightOnly();
            case "int8-static" when arg is null: return new Int8Static();
            case "fp16" or "float16" when arg is null: return new Float16Weights();
            case "bits":
                if (arg is null || !int.TryParse(arg, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k))
                    throw new DflareException($"Method '{text}': bits:K needs an integer K from 2 to 16 (e.g. bits:4).");
                return new FakeQuantBits(CheckBits(k, $"method '{text}'"));
            case "prune":
                if (arg is null || !double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
                    throw new DflareException($"Method '{text}': prune:F needs a fraction F with 0 < F < 1 (e.g. prune:0.8).");
                if (!(f > 0 && f < 1))
                    throw new DflareException($"Method '{text}': the pruned fraction F must be greater than 0 and less than 1 (got {f.ToString(CultureInfo.InvariantCulture)}).");
                return new MagnitudePrune(f);
            default:
                throw new DflareException($"Unknown compression method '{text}'; the methods are: {Usage}.");
        }
    }

    /// <summary>Checks a bit width is in 2..16.</summary>
    /// <exception cref="DflareException">It is not.</exception>
    public static int CheckBits(int k, string where) => k is >= 2 and <= 16 ? k
        : throw new SettingException($"In {where}: K = {k} is outside 2..16 (weights can be fake-quantized to 2 to 16 bits).", BitsPerLayer);

    /// <summary>How messages name <see cref="CompressionContext.BitsPerLayer"/>.</summary>
    internal const string BitsPerLayer = nameof(CompressionContext.BitsPerLayer);

    /// <summary>Parses <c>name=K,name=K,...</c> (a name may itself contain <c>=</c>; the last one splits).</summary>
    /// <exception cref="DflareException">An item has no <c>=K</c>, K is not in 2..16, or a name repeats.</exception>
    public static IReadOnlyDictionary<string, int> ParseBitsPerLayer(string text)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = item.LastIndexOf('=');
            if (eq <= 0 || !int.TryParse(item[(eq + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var k))
                throw new SettingException($"BitsPerLayer item '{item}' is not name=K with an integer K.", BitsPerLayer);
            var name = item[..eq].Trim();
            CheckBits(k, $"BitsPerLayer '{item}'");
            if (!d.TryAdd(name, k)) throw new SettingException($"BitsPerLayer names layer '{name}' twice.", BitsPerLayer);
        }
        if (d.Count == 0) throw new SettingException("BitsPerLayer is empty; expected name=K,name=K,...", BitsPerLayer);
        return d;
    }
}
