using System.Globalization;

namespace Dflare.Search.Mutation;

/// <summary>Pixel helpers shared by the operators.</summary>
internal static class PixelOps
{
    /// <summary>Rounds to the nearest integer (ties to even, as NumPy and OpenCV do) and clips to 0..255.</summary>
    public static byte RoundClip(double v)
    {
        if (double.IsNaN(v)) return 0;
        var r = Math.Round(v, MidpointRounding.ToEven);
        return r <= 0 ? (byte)0 : r >= 255 ? (byte)255 : (byte)r;
    }

    /// <summary>OpenCV's BORDER_REFLECT_101 index (…, 2, 1 | 0, 1, 2, …, n−1 | n−2, …).</summary>
    public static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n)
        {
            if (i < 0) i = -i;
            if (i >= n) i = 2 * n - 2 - i;
        }
        return i;
    }

    /// <summary>OpenCV's BORDER_REPLICATE index.</summary>
    public static int Replicate(int i, int n) => i < 0 ? 0 : i >= n ? n - 1 : i;

    public static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
