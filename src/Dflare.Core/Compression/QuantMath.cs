namespace Dflare.Compression;

/// <summary>The arithmetic of weight quantization and pruning, on flat row-major weights with a channel axis.</summary>
public static class QuantMath
{
    /// <summary>Largest absolute value per channel (<paramref name="channels"/> channels of stride <paramref name="stride"/>; one channel for per-tensor).</summary>
    public static float[] AbsMax(ReadOnlySpan<float> w, long stride, long channels)
    {
        var m = new float[channels];
        for (int i = 0; i < w.Length; i++)
        {
            var c = (int)(i / stride % channels);
            var a = MathF.Abs(w[i]);
            if (a > m[c]) m[c] = a;
        }
        return m;
    }

    /// <summary>Symmetric scales: <c>absmax / qmax</c>, with 1 for an all-zero channel (any scale represents it exactly).</summary>
    public static float[] SymmetricScales(float[] absMax, int qmax) =>
        absMax.Select(a => a > 0 && float.IsFinite(a) ? a / qmax : 1f).ToArray();

    /// <summary>Round half to even, as ONNX QuantizeLinear does.</summary>
    public static float RoundEven(float x) => MathF.Round(x, MidpointRounding.ToEven);

    /// <summary>
    /// Symmetric signed quantization to <paramref name="bits"/> bits per channel: returns the integer codes in
    /// [−(2^(bits−1)−1), 2^(bits−1)−1] and the per-channel scales.
    /// </summary>
    public static (int[] Codes, float[] Scales) QuantizeSymmetric(ReadOnlySpan<float> w, long stride, long channels, int bits)
    {
        if (bits is < 2 or > 16) throw new ArgumentOutOfRangeException(nameof(bits), bits, "bits must be 2..16");
        int qmax = (1 << (bits - 1)) - 1;
        var scales = SymmetricScales(AbsMax(w, stride, channels), qmax);
        var q = new int[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            var c = (int)(i / stride % channels);
            q[i] = (int)Math.Clamp(RoundEven(w[i] / scales[c]), -qmax, qmax);
        }
        return (q, scales);
    }

    /// <summary>
    /// Fake quantization: the weights rounded to the symmetric per-channel grid of <paramref name="bits"/> bits and
    /// stored back as float (at most 2^bits − 1 distinct values per channel).
    /// </summary>
    public static float[] FakeQuantize(ReadOnlySpan<float> w, long stride, long channels, int bits)
    {
        var (q, s) = QuantizeSymmetric(w, stride, channels, bits);
        var r = new float[w.Length];
        for (int i = 0; i < r.Length; i++) r[i] = q[i] * s[(int)(i / stride % channels)];
        return r;
    }

    /// <summary>
    /// Unstructured magnitude pruning: zeroes the round(<paramref name="fraction"/> · n) weights of smallest magnitude
    /// (ties broken by position, so the result is deterministic).
    /// </summary>
    public static float[] Prune(ReadOnlySpan<float> w, double fraction)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "fraction must be in (0,1)");
        var r = w.ToArray();
        int k = (int)Math.Round(fraction * r.Length, MidpointRounding.AwayFromZero);
        if (k == 0) return r;
        var keys = r.Select(MathF.Abs).ToArray();
        Array.Sort(keys);
        float cut = keys[k - 1]; // the k-th smallest magnitude; every weight below it goes, then ties at it by position
        var below = new List<int>(k);
        var atCut = new List<int>();
        for (int i = 0; i < r.Length; i++)
        {
            var a = MathF.Abs(r[i]);
            if (a < cut) below.Add(i);
            else if (a == cut) atCut.Add(i);
        }
        foreach (var i in below) r[i] = 0;
        for (int j = 0; j < k - below.Count && j < atCut.Count; j++) r[atCut[j]] = 0;
        return r;
    }

    /// <summary>
    /// Asymmetric UINT8 parameters for a value range (the range is widened to include 0 so that 0 is exact):
    /// <c>scale = (max − min) / 255</c>, <c>zeroPoint = round(−min / scale)</c>.
    /// </summary>
    public static (float Scale, byte ZeroPoint) Uint8Params(float min, float max)
    {
        min = MathF.Min(min, 0); max = MathF.Max(max, 0);
        if (!float.IsFinite(min) || !float.IsFinite(max) || max - min <= 0) return (1f, 0);
        float scale = (max - min) / 255f;
        var zp = (byte)Math.Clamp(RoundEven(-min / scale), 0, 255);
        return (scale, zp);
    }
}
