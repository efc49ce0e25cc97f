using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Salt-and-pepper noise: a fraction <see cref="Amount"/> of all values (over every channel) is set to 255 (salt) or
/// 0 (pepper), <see cref="SaltRatio"/> of them salt. The counts are <c>ceil(amount · values · ratio)</c> salt and
/// <c>ceil(amount · values · (1 − ratio))</c> pepper, at least one of each; positions are distinct.
/// </summary>
public sealed class SaltPepper : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">The amount is not in (0, 1] or the ratio not in [0, 1].</exception>
    public SaltPepper(double amount = 0.004, double saltRatio = 0.5)
    {
        if (!(amount > 0 && amount <= 1)) throw OperatorParameters.Invalid(Name, $"amount must be in (0, 1] (got {amount})");
        if (!(saltRatio >= 0 && saltRatio <= 1)) throw OperatorParameters.Invalid(Name, $"salt-ratio must be in [0, 1] (got {saltRatio})");
        Amount = amount; SaltRatio = saltRatio;
    }

    /// <summary>Fraction of all values changed (default 0.004).</summary>
    public double Amount { get; }
    /// <summary>Fraction of the changed values set to 255 (default 0.5).</summary>
    public double SaltRatio { get; }

    /// <inheritdoc />
    public string Name => "salt-pepper";
    /// <inheritdoc />
    public string Spec => $"{Name}:amount={PixelOps.F(Amount)}:salt-ratio={PixelOps.F(SaltRatio)}";

    /// <summary>The number of salt and pepper values for an image of <paramref name="values"/> values.</summary>
    public (int Salt, int Pepper) Counts(int values)
    {
        int salt = Math.Max(1, (int)Math.Ceiling(Amount * values * SaltRatio - 1e-9));
        int pepper = Math.Max(1, (int)Math.Ceiling(Amount * values * (1 - SaltRatio) - 1e-9));
        if (salt + pepper > values) { salt = (values + 1) / 2; pepper = values - salt; }
        return (salt, pepper);
    }

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng)
    {
        var dst = (byte[])image.Pixels.Clone();
        var (salt, pepper) = Counts(dst.Length);
        var positions = rng.Distinct(salt + pepper, dst.Length);
        for (int k = 0; k < positions.Length; k++) dst[positions[k]] = k < salt ? (byte)255 : (byte)0;
        return new Image(image.Width, image.Height, image.Channels, dst);
    }

    internal static SaltPepper From(OperatorParameters p)
    {
        var op = new SaltPepper(p.Double("amount", 0.004), p.Double("salt-ratio", 0.5));
        p.EnsureAllUsed(["amount", "salt-ratio"]);
        return op;
    }
}
