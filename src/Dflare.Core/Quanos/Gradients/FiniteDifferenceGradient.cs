using System.Globalization;
using Dflare.Models;

namespace Dflare.Quanos.Gradients;

/// <summary>
/// Central finite differences over every input value:
/// <c>ĝ_i = (L(x + h·e_i) − L(x − h·e_i)) / 2h</c>, all 2·H·W·C probes of one image (plus the image itself) in one
/// batch — 1,569 images for a 28×28 grey image, 6,145 for a 32×32 RGB one.
/// </summary>
/// <remarks>
/// The step <c>h</c> is in grey levels of the 0..255 scale (default 1, i.e. 1/255 in [0,1] units). Probes are not
/// clipped to [0, 255]: the network is defined off the pixel range, and clipping would make the difference one-sided
/// exactly at the black and white pixels. On piecewise-linear networks (ReLU, max-pool) the difference is exact unless
/// a kink lies within ±h; at max-pool windows with tied inputs (the black MNIST background) it averages the two
/// one-sided slopes, so expect a cosine of about 0.96–0.99 against an exact gradient there, not 1.
/// </remarks>
public sealed class FiniteDifferenceGradient : IGradientEstimator
{
    /// <summary>Creates the estimator.</summary>
    /// <param name="step">The difference step h in grey levels (0..255 scale); default 1.</param>
    /// <exception cref="DflareException">The step is not positive and finite.</exception>
    public FiniteDifferenceGradient(double step = 1.0)
    {
        if (!(step > 0) || !double.IsFinite(step))
            throw new DflareException($"Finite-difference step must be a positive number of grey levels; got {step.ToString(CultureInfo.InvariantCulture)}.");
        Step = step;
    }

    /// <summary>The difference step h in grey levels of the 0..255 scale.</summary>
    public double Step { get; }

    /// <inheritdoc />
    public string Name => "fd";

    /// <inheritdoc />
    public string Description => $"central finite differences (h = {Step.ToString("G4", CultureInfo.InvariantCulture)} grey level{(Step == 1 ? "" : "s")})";

    /// <inheritdoc />
    public int ProbesPerImage(int imageLength) => 2 * imageLength + 1;

    /// <inheritdoc />
    public IReadOnlyList<GradientEstimate> Estimate(OnnxClassifier model, IReadOnlyList<GradientQuery> queries)
    {
        Probing.Validate(model, queries);
        int n = model.Info.ImageLength, probes = ProbesPerImage(n);
        float h = (float)Step;
        var (losses, scores) = Probing.Evaluate(model, queries, probes, (q, p, x) => x[(p - 1) / 2] += (p & 1) == 1 ? h : -h);
        var result = new GradientEstimate[queries.Count];
        for (int q = 0; q < queries.Count; q++)
        {
            var l = losses[q];
            var x = queries[q].Pixels;
            var g = new double[n];
            for (int i = 0; i < n; i++)
            {
                // The float probe values, not x ± h, set the true step (x + h rounds in float32 for large x).
                double up = (double)(x[i] + h) - x[i], down = x[i] - (double)(x[i] - h);
                g[i] = (l[2 * i + 1] - l[2 * i + 2]) / (up + down);
            }
            result[q] = new GradientEstimate(g, l[0], scores[q], probes);
        }
        return result;
    }
}
