using Dflare.Images;

namespace Dflare.Search;

/// <summary>
/// An optional bound on how far a mutant may drift from its seed: <see cref="MaxLInf"/> clips every mutant back into
/// the box of ±N pixel levels around the seed; <see cref="MinSsim"/> rejects (does not evaluate) mutants whose SSIM to
/// the seed is below S. Without either, mutations accumulate unbounded.
/// </summary>
public sealed record DistortionBound
{
    /// <summary>No bound.</summary>
    public static DistortionBound None { get; } = new();

    /// <summary>Largest change of any value from the seed, in pixel levels (0..255), or null for none.</summary>
    public int? MaxLInf { get; init; }

    /// <summary>Smallest SSIM to the seed a mutant may have (−1..1), or null for none.</summary>
    public double? MinSsim { get; init; }

    /// <summary>True when neither bound is set.</summary>
    public bool IsNone => MaxLInf is null && MinSsim is null;

    /// <summary>Checks the values.</summary>
    /// <exception cref="SettingException">A bound is out of range (the message names it).</exception>
    public void Validate()
    {
        if (MaxLInf is < 0 or > 255) throw new SettingException($"MaxLInf must be between 0 and 255 pixel levels (got {MaxLInf}).", nameof(MaxLInf));
        if (MinSsim is { } s && !(s >= -1 && s <= 1)) throw new SettingException($"MinSsim must be between -1 and 1 (got {s}).", nameof(MinSsim));
    }

    /// <summary>Clips <paramref name="mutant"/> in place into the L∞ box around <paramref name="seed"/> (no-op without <see cref="MaxLInf"/>).</summary>
    public void Clip(Image mutant, Image seed)
    {
        if (MaxLInf is not { } e) return;
        var m = mutant.Pixels; var s = seed.Pixels;
        for (int i = 0; i < m.Length; i++)
        {
            int lo = Math.Max(0, s[i] - e), hi = Math.Min(255, s[i] + e);
            if (m[i] < lo) m[i] = (byte)lo; else if (m[i] > hi) m[i] = (byte)hi;
        }
    }

    /// <summary>True when <paramref name="mutant"/> satisfies the SSIM bound (always without <see cref="MinSsim"/>).</summary>
    public bool Accepts(Image mutant, Image seed) => MinSsim is not { } s || Distances.Ssim(mutant, seed) >= s;

    /// <summary>A short description, e.g. <c>L∞ ≤ 16, SSIM ≥ 0.9</c> or <c>none</c>.</summary>
    public override string ToString() =>
        IsNone ? "none" : string.Join(", ", new[]
        {
            MaxLInf is { } l ? $"L∞ ≤ {l}" : null,
            MinSsim is { } s ? $"SSIM ≥ {s.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : null,
        }.Where(x => x is not null));
}
