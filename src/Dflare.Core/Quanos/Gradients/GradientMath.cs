namespace Dflare.Quanos.Gradients;

/// <summary>Comparisons between gradient estimates.</summary>
public static class GradientMath
{
    /// <summary>Cosine similarity of two vectors (0 when either is all zero).</summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double Cosine(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Vectors differ in length ({a.Length} vs {b.Length}).");
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return aa == 0 || bb == 0 ? 0 : ab / Math.Sqrt(aa * bb);
    }

    /// <summary>
    /// Among the values where the reference <paramref name="reference"/> is non-zero, the share where
    /// <paramref name="estimate"/> has the same sign: how much of the FGSM direction <c>sign(reference)</c> the estimate gets
    /// right (1 when the reference is all zero).
    /// </summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double SignAgreement(ReadOnlySpan<double> estimate, ReadOnlySpan<double> reference)
    {
        if (estimate.Length != reference.Length) throw new ArgumentException($"Vectors differ in length ({estimate.Length} vs {reference.Length}).");
        int same = 0, counted = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            if (reference[i] == 0) continue;
            counted++;
            if (Math.Sign(estimate[i]) == Math.Sign(reference[i])) same++;
        }
        return counted == 0 ? 1 : (double)same / counted;
    }
}
