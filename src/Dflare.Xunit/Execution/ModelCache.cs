using System.Collections.Concurrent;
using Dflare.Models;

namespace Dflare.Xunit.Execution;

/// <summary>
/// Classifiers and pairs shared by every case of a test run: one per model file and preprocessing (ONNX Runtime
/// sessions underneath are shared per file through <see cref="SessionCache.Shared"/>).
/// </summary>
internal static class ModelCache
{
    private static readonly ConcurrentDictionary<string, Lazy<ModelPair>> Pairs = new();

    public static ModelPair Pair(string original, string compressed, ModelOptions options)
    {
        var key = $"{original}|{compressed}|{System.Text.Json.JsonSerializer.Serialize(options)}";
        var lazy = Pairs.GetOrAdd(key, _ => new Lazy<ModelPair>(() => ModelPair.Load(original, compressed, options)));
        try { return lazy.Value; }
        catch { Pairs.TryRemove(key, out _); throw; }
    }

    private static readonly ConcurrentDictionary<string, Lazy<SanityResult>> Checks = new();

    /// <summary>The pair's <see cref="SanityCheck"/> on its seed source, run once per pair and seeds for the whole test run.</summary>
    public static SanityResult Sanity(Check.CheckSettings check, ModelPair pair, Datasets.SeedSource source) =>
        Checks.GetOrAdd($"{check.Original}|{check.Compressed}|{check.Seeds}|{pair.Original.Info.DescribePreprocessing()}|{pair.Compressed.Info.DescribePreprocessing()}",
            _ => new Lazy<SanityResult>(() => SanityCheck.Run(pair.Original, pair.Compressed, source))).Value;
}
