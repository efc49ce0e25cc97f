using System.Globalization;
using Dflare.Quanos.Adversarial;

namespace Dflare.Cli.Commands;

/// <summary>Parses attack radii ε (L∞ bounds) in [0,1] pixel units given as a number or a fraction such as <c>8/255</c>.</summary>
internal static class EpsilonText
{
    /// <summary>
    /// Parses an ε the way every pixel-distance option does (<see cref="Images.PixelAmount"/>: <c>8</c> and
    /// <c>8/255</c> are eight grey levels, <c>0.03</c> is in [0,1] units), returns it in [0,1] units (must be in (0, 1))
    /// and prints the value used in both units on stderr.
    /// </summary>
    public static double ParseEpsilon(string text, string option)
    {
        var amount = Images.PixelAmount.Parse(text, option);
        var v = amount.Fraction;
        FgsmOptions.ValidateEpsilon(v, option);
        Console.Error.WriteLine($"{option} {text}: {amount}");
        return v;
    }

    /// <summary>Parses a number or a fraction such as <c>8/255</c>.</summary>
    public static double ParseFraction(string text, string option)
    {
        var parts = text.Split('/');
        static bool Num(string s, out double d) => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        if (parts.Length == 1 && Num(parts[0], out var x)) return x;
        if (parts.Length == 2 && Num(parts[0], out var a) && Num(parts[1], out var b) && b != 0) return a / b;
        throw new DflareException($"{option} '{text}' is not a number or a fraction such as 8/255.");
    }
}
