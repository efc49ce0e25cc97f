using Dflare.Models;

namespace Dflare.Quanos;

/// <summary>
/// The loss an adversarial attack increases: the cross-entropy of one target class (the model's own clean
/// prediction, or the true label), computed in double from the model's float32 output row.
/// </summary>
/// <remarks>
/// <para>Logits: <c>L = log(1 + Σ_{j≠y} e^{z_j − z_y})</c>, evaluated with an accurate log1p (and a log-sum-exp
/// shift when a competitor leads). In float32, or through <c>−log softmax</c>, the loss of a confident prediction
/// rounds to exactly 0 and every finite difference vanishes; this form keeps the ~e^{−gap} magnitude and its
/// relative precision.</para>
/// <para>Probabilities (<see cref="OutputKind.Probabilities"/>): the row is taken to sum to 1, so
/// <c>−log p_y = log(1 + Σ_{j≠y} p_j / p_y)</c>; computed in double from the float32 <c>p_j</c> this keeps the
/// information the small probabilities carry when <c>p_y</c> itself rounds to 1. <c>p_y</c> is floored at
/// <see cref="ProbabilityFloor"/> (and negative entries at 0) so the loss stays finite.</para>
/// </remarks>
public static class AdversarialLoss
{
    /// <summary>Smallest value of the target probability used in the probability form of the loss.</summary>
    public const double ProbabilityFloor = 1e-30;

    /// <summary>The cross-entropy of class <paramref name="target"/> for one output row, in double.</summary>
    /// <param name="row">The model's raw output row (logits or probabilities).</param>
    /// <param name="target">The class whose cross-entropy is taken.</param>
    /// <param name="kind">What the row holds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not a class of the row.</exception>
    /// <exception cref="DflareException">The row holds a NaN or an infinity.</exception>
    public static double CrossEntropy(ReadOnlySpan<float> row, int target, OutputKind kind)
    {
        if ((uint)target >= (uint)row.Length)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"Target class must be in [0, {row.Length}).");
        foreach (var v in row)
            if (!float.IsFinite(v)) throw new DflareException("The model produced a non-finite output (NaN or infinity); cannot compute a loss.");
        if (kind == OutputKind.Probabilities)
        {
            double py = Math.Max(row[target], ProbabilityFloor), ratio = 0;
            for (int j = 0; j < row.Length; j++)
                if (j != target) ratio += Math.Max(row[j], 0.0) / py;
            return Log1P(ratio);
        }
        double zy = row[target], max = double.NegativeInfinity;
        for (int j = 0; j < row.Length; j++)
            if (j != target) max = Math.Max(max, row[j] - zy);
        if (max <= 0)
        {
            double s = 0;
            for (int j = 0; j < row.Length; j++)
                if (j != target) s += Math.Exp(row[j] - zy);
            return Log1P(s);
        }
        // A competitor leads: L = m + log(e^{−m} + Σ_{j≠y} e^{d_j − m}) with m = max d_j > 0.
        double t = Math.Exp(-max);
        for (int j = 0; j < row.Length; j++)
            if (j != target) t += Math.Exp(row[j] - zy - max);
        return max + Math.Log(t);
    }

    /// <summary><c>log(1 + x)</c>, accurate for tiny <paramref name="x"/> (Goldberg's correction).</summary>
    internal static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        return Math.Log(u) * x / (u - 1.0);
    }
}
