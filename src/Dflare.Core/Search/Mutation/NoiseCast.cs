namespace Dflare.Search.Mutation;

/// <summary>How the two noise operators (<see cref="GaussianNoise"/>, <see cref="MultiplicativeNoise"/>) turn a noisy value back into a pixel level.</summary>
public enum NoiseCast
{
    /// <summary>Round half to even, then clip to 0..255 (no bias, no wrap-around). Spec value <c>cast=round</c>.</summary>
    Round,
    /// <summary>
    /// NumPy's <c>astype(np.uint8)</c> on x86-64, which the DFlare authors' shipped operators apply before their clip:
    /// truncate toward zero, then keep the low 8 bits. So 99.9 → 99 and −0.4 → 0 (truncation), −1.2 → 255 and
    /// 300.2 → 44 (wrap-around). The clip after it changes nothing. Spec value <c>cast=uint8</c>; the default (measured
    /// to let DFlare trigger more seeds than rounding, docs/benchmarks.md).
    /// </summary>
    Uint8,
}

/// <summary>Parsing, naming and applying <see cref="NoiseCast"/>.</summary>
public static class NoiseCasts
{
    /// <summary>The spec name: <c>round</c> or <c>uint8</c>.</summary>
    public static string Name(this NoiseCast cast) => cast == NoiseCast.Uint8 ? "uint8" : "round";

    /// <summary>A noisy value as a pixel level under <paramref name="cast"/>.</summary>
    public static byte Apply(this NoiseCast cast, double v) => cast == NoiseCast.Uint8 ? Uint8(v) : PixelOps.RoundClip(v);

    /// <summary>
    /// <c>np.float64(v).astype(np.uint8)</c> as NumPy 1.24 computes it on x86-64: truncation toward zero, then the low
    /// 8 bits of the integer (NaN gives 0).
    /// </summary>
    public static byte Uint8(double v) => double.IsNaN(v) ? (byte)0 : unchecked((byte)(long)v);

    internal static NoiseCast Parse(OperatorParameters p, string op)
    {
        var text = p.Text("cast", "uint8");
        return text.ToLowerInvariant() switch
        {
            "round" => NoiseCast.Round,
            "uint8" => NoiseCast.Uint8,
            _ => throw OperatorParameters.Invalid(op, $"cast must be round or uint8 (got '{text}')"),
        };
    }
}
