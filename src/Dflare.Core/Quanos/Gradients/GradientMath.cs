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

    /// <summary>Share of the values whose signs agree (zero counts as its own sign): what FGSM sees of a gradient.</summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static double SignAgreement(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Vectors differ in length ({a.Length} vs {b.Length}).");
        if (a.Length == 0) return 1;
        int same = 0;
        for (int i = 0; i < a.Length; i++) if (Math.Sign(a[i]) == Math.Sign(b[i])) same++;
        return (double)same / a.Length;
    }
}
