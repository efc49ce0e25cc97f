using System.Globalization;

namespace Dflare.Images;

/// <summary>
/// A pixel distance given either in grey levels (0..255) or in [0,1] units, read the same way by every option that
/// takes one (<c>--max-linf</c>, <c>--epsilon</c>, ...): <c>16/255</c> and <c>16</c> are both 16 grey levels; a number
/// below 1 (<c>0.0627</c>) is a fraction of the 0..255 range; any other fraction <c>a/b</c> is that share of the range.
/// </summary>
/// <param name="Levels">The amount in grey levels (may be fractional).</param>
public readonly record struct PixelAmount(double Levels)
{
    /// <summary>The amount in [0,1] units (levels / 255).</summary>
    public double Fraction => Levels / 255.0;

    /// <summary>Parses <c>16</c>, <c>16/255</c>, <c>0.0627</c> (see the type's remarks).</summary>
    /// <exception cref="DflareException">The text is not a number or a fraction, or is not finite. (The range is the caller's to check.)</exception>
    public static PixelAmount Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        static bool Num(string s, out double d) => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        var parts = text.Split('/');
        double levels;
        if (parts.Length == 1 && Num(parts[0], out var x)) levels = Math.Abs(x) >= 1 || x == 0 ? x : x * 255;
        else if (parts.Length == 2 && Num(parts[0], out var a) && Num(parts[1], out var b) && b != 0) levels = a / b * 255;
        else throw new DflareException($"{option} '{text}' is not a number of grey levels (16), a fraction of them (16/255) or a value below 1 in [0,1] units (0.0627).");
        if (!double.IsFinite(levels)) throw new DflareException($"{option} '{text}' is not a finite amount.");
        return new PixelAmount(levels);
    }

    /// <summary>The amount as a whole number of grey levels.</summary>
    /// <exception cref="DflareException">It is not a whole number of levels (to within 1e-6).</exception>
    public int WholeLevels(string option) =>
        Math.Abs(Levels - Math.Round(Levels)) <= 1e-6 && Levels is >= 0 and <= 255 ? (int)Math.Round(Levels)
            : throw new DflareException($"{option} is {this}; give a whole number of grey levels from 0 to 255 (e.g. 16 or 16/255).");

    /// <summary>Both units, e.g. <c>16 grey levels (0.0627 in [0,1] units)</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Levels:0.###} grey levels ({Fraction:0.####} in [0,1] units)");
}
