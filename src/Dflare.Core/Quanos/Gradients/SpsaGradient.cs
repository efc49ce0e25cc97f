using Dflare.Search.Random;
using System.Globalization;
using Dflare.Models;

namespace Dflare.Quanos.Gradients;

/// <summary>
/// SPSA with Rademacher directions: <c>ĝ = (1/N) Σ_k (L(x + c·Δ_k) − L(x − c·Δ_k)) / 2c · Δ_k</c>, Δ_k ∈ {−1, +1}^n,
/// 2N + 1 queries per image whatever its size. Unbiased for the gradient up to O(c²); its cosine to the true gradient
/// is about <c>1 / sqrt(1 + (n − 1)/N)</c> for n free dimensions, so it is cheaper than finite differences only when
/// N ≪ n or when a rough direction is enough (FGSM uses only the sign).
/// </summary>
/// <remarks>
/// <para>With <see cref="Tile"/> &gt; 1 the directions are constant over tile × tile pixel blocks (per channel), which
/// cuts the free dimensions by tile² and estimates the block-averaged gradient: lower variance, some bias.</para>
/// <para>Directions come from <see cref="Rng"/> seeded by (<see cref="Seed"/>, query id, query iteration):
/// the same inputs give the same estimate, and different seeds or iterations get independent directions.</para>
/// </remarks>
public sealed class SpsaGradient : IGradientEstimator
{
    /// <summary>Creates the estimator.</summary>
    /// <param name="samples">Number of direction pairs N (2N + 1 queries per image).</param>
    /// <param name="seed">Run seed of the direction streams.</param>
    /// <param name="perturbation">The perturbation size c in grey levels of the 0..255 scale (default 1).</param>
    /// <param name="tile">Side of the square pixel blocks sharing a direction value (default 1: every value free).</param>
    /// <exception cref="DflareException">A setting is out of range.</exception>
    public SpsaGradient(int samples, ulong seed = 0, double perturbation = 1.0, int tile = 1)
    {
        if (samples <= 0) throw new DflareException($"SPSA sample count must be positive; got {samples}.");
        if (!(perturbation > 0) || !double.IsFinite(perturbation))
            throw new DflareException($"SPSA perturbation must be a positive number of grey levels; got {perturbation.ToString(CultureInfo.InvariantCulture)}.");
        if (tile <= 0) throw new DflareException($"SPSA tile size must be positive; got {tile}.");
        Samples = samples; Seed = seed; Perturbation = perturbation; Tile = tile;
    }

    /// <summary>Number of direction pairs N.</summary>
    public int Samples { get; }
    /// <summary>Run seed of the direction streams.</summary>
    public ulong Seed { get; }
    /// <summary>Perturbation size c in grey levels.</summary>
    public double Perturbation { get; }
    /// <summary>Side of the pixel blocks that share a direction value.</summary>
    public int Tile { get; }

    /// <inheritdoc />
    public string Name => "spsa";

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"SPSA ({Samples} samples, c = {Perturbation:G4} grey level{(Perturbation == 1 ? "" : "s")}{(Tile > 1 ? $", {Tile}x{Tile} tiles" : "")}, seed {Seed})");

    /// <inheritdoc />
    public int ProbesPerImage(int imageLength) => 2 * Samples + 1;

    /// <inheritdoc />
    public IReadOnlyList<GradientEstimate> Estimate(OnnxClassifier model, IReadOnlyList<GradientQuery> queries)
    {
        Probing.Validate(model, queries);
        var info = model.Info;
        int n = info.ImageLength, probes = ProbesPerImage(n);
        // Map every value to its free dimension (its tile and channel).
        int tilesX = (info.Width + Tile - 1) / Tile, tilesY = (info.Height + Tile - 1) / Tile, c = info.Channels;
        int dims = tilesX * tilesY * c, words = (dims + 63) / 64;
        var dimOf = new int[n];
        for (int y = 0; y < info.Height; y++)
            for (int x = 0; x < info.Width; x++)
                for (int ch = 0; ch < c; ch++)
                    dimOf[(y * info.Width + x) * c + ch] = ((y / Tile) * tilesX + x / Tile) * c + ch;

        var bits = new ulong[queries.Count][];
        for (int q = 0; q < queries.Count; q++)
        {
            bits[q] = new ulong[Samples * words];
            var rng = Rng.For(Seed, queries[q].Id, unchecked((ulong)queries[q].Iteration));
            for (int i = 0; i < bits[q].Length; i++) bits[q][i] = rng.NextUInt64();
        }
        float cp = (float)Perturbation;
        var (losses, scores) = Probing.Evaluate(model, queries, probes, (q, p, x) =>
        {
            int k = (p - 1) / 2;
            float sign = (p & 1) == 1 ? cp : -cp;
            var b = bits[q].AsSpan(k * words, words);
            for (int i = 0; i < n; i++)
            {
                int d = dimOf[i];
                x[i] += ((b[d >> 6] >> (d & 63)) & 1) != 0 ? sign : -sign;
            }
        });
        var result = new GradientEstimate[queries.Count];
        for (int q = 0; q < queries.Count; q++)
        {
            var l = losses[q];
            var perDim = new double[dims];
            for (int k = 0; k < Samples; k++)
            {
                double slope = (l[2 * k + 1] - l[2 * k + 2]) / (2 * Perturbation);
                var b = bits[q].AsSpan(k * words, words);
                for (int d = 0; d < dims; d++) perDim[d] += ((b[d >> 6] >> (d & 63)) & 1) != 0 ? slope : -slope;
            }
            var g = new double[n];
            for (int i = 0; i < n; i++) g[i] = perDim[dimOf[i]] / Samples;
            result[q] = new GradientEstimate(g, l[0], scores[q], probes);
        }
        return result;
    }
}
