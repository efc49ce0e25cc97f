using Dflare.Models;

namespace Dflare.Quanos.Gradients;

/// <summary>
/// One point at which to estimate the gradient of the adversarial loss.
/// </summary>
/// <param name="Id">The seed's id; with <paramref name="Iteration"/> it selects the random stream of randomised estimators.</param>
/// <param name="Pixels">The image as float pixels on the 0..255 scale, H×W×C interleaved at model geometry (not copied; not modified).</param>
/// <param name="Target">The class whose cross-entropy is the loss (see <see cref="AdversarialLoss"/>).</param>
/// <param name="Iteration">Which estimate for this seed this is (e.g. the step of an iterative attack), so each gets fresh, reproducible random directions.</param>
public sealed record GradientQuery(string Id, float[] Pixels, int Target, int Iteration = 0);

/// <summary>A gradient estimate at one point.</summary>
/// <param name="Gradient">∂loss/∂pixel for every value (H×W×C interleaved), in loss per grey level of the 0..255 scale.</param>
/// <param name="Loss">The loss at the point itself.</param>
/// <param name="Scores">The model's raw output row at the point (logits or probabilities).</param>
/// <param name="Queries">Images the model evaluated for this estimate (the point itself included).</param>
public sealed record GradientEstimate(double[] Gradient, double Loss, float[] Scores, long Queries)
{
    /// <summary>The model's top-1 class at the point.</summary>
    public int Prediction => Labels.ArgMax(Scores);
}

/// <summary>
/// Estimates the input gradient of the adversarial loss from model queries only (ONNX Runtime gives no input
/// gradients). Implementations are deterministic: the same model, queries and settings give the same numbers.
/// </summary>
public interface IGradientEstimator
{
    /// <summary>A short name for reports, e.g. <c>fd</c> or <c>spsa</c>.</summary>
    string Name { get; }

    /// <summary>A one-line description with the settings, e.g. <c>spsa (200 samples, c = 1 grey level, seed 0)</c>.</summary>
    string Description { get; }

    /// <summary>Images the model evaluates per estimate for an image of <paramref name="imageLength"/> values (the point itself included).</summary>
    int ProbesPerImage(int imageLength);

    /// <summary>Estimates the gradient at every query, sending the probes to the model in large batches.</summary>
    /// <exception cref="DflareException">A query's pixels do not fit the model, hold a non-finite value, or its target is not a class of the model.</exception>
    IReadOnlyList<GradientEstimate> Estimate(OnnxClassifier model, IReadOnlyList<GradientQuery> queries);
}
