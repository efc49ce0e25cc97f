using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Pixel change: <c>U{MinCount..MaxCount}</c> distinct values (positions over every channel) are each set to a uniform
/// random level 0..255. Defaults: 1 to 9 values.
/// </summary>
public sealed class PixelChange : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">The count range is empty or not positive.</exception>
    public PixelChange(int minCount = 1, int maxCount = 9)
    {
        if (minCount < 1 || maxCount < minCount) throw OperatorParameters.Invalid(Name, $"need 1 ≤ min-count ≤ max-count (got {minCount}..{maxCount})");
        MinCount = minCount; MaxCount = maxCount;
    }

    /// <summary>Fewest values changed (default 1).</summary>
    public int MinCount { get; }
    /// <summary>Most values changed (default 9).</summary>
    public int MaxCount { get; }

    /// <inheritdoc />
    public string Name => "pixel-change";
    /// <inheritdoc />
    public string Spec => $"{Name}:min-count={MinCount}:max-count={MaxCount}";

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng)
    {
        var dst = (byte[])image.Pixels.Clone();
        int count = Math.Min(rng.NextInt(MinCount, MaxCount), dst.Length);
        foreach (var p in rng.Distinct(count, dst.Length)) dst[p] = (byte)rng.NextInt(256);
        return new Image(image.Width, image.Height, image.Channels, dst);
    }

    internal static PixelChange From(OperatorParameters p)
    {
        var op = new PixelChange(p.Int("min-count", 1), p.Int("max-count", 9));
        p.EnsureAllUsed(["min-count", "max-count"]);
        return op;
    }
}
