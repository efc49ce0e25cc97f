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

    /// <summary>
    /// <c>table[i·k + d] = Reflect101(i − k/2 + d, n) · scale</c>: the offsets a k-wide kernel centred on each of n
    /// positions reads, with BORDER_REFLECT_101.
    /// </summary>
    public static int[] ReflectTable(int n, int k, int scale)
    {
        var table = new int[n * k];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < k; d++) table[i * k + d] = Reflect101(i - k / 2 + d, n) * scale;
        return table;
    }

    /// <summary>OpenCV's BORDER_REPLICATE index.</summary>
    public static int Replicate(int i, int n) => i < 0 ? 0 : i >= n ? n - 1 : i;

    public static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
