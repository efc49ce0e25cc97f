using Dflare.Images;

namespace Dflare.Snapshots;

/// <summary>The result of comparing two images pixel by pixel.</summary>
/// <param name="Equal">True when the geometry matches and no value differs by more than the tolerance.</param>
/// <param name="SameGeometry">True when width, height and channels match.</param>
/// <param name="MaxDifference">Largest absolute difference of one value (0..255); 255 when the geometry differs.</param>
/// <param name="DifferingValues">Number of values that differ by more than the tolerance.</param>
/// <param name="Description">A sentence describing the difference, for messages.</param>
public sealed record PixelComparison(bool Equal, bool SameGeometry, int MaxDifference, int DifferingValues, string Description)
{
    /// <summary>
    /// Compares decoded pixels (never bytes): geometry first, then every value within <paramref name="tolerance"/> grey levels.
    /// </summary>
    public static PixelComparison Compare(Image expected, Image actual, int tolerance = 0)
    {
        if (tolerance < 0) throw new ArgumentOutOfRangeException(nameof(tolerance), "Pixel tolerance must not be negative.");
        if (expected.Width != actual.Width || expected.Height != actual.Height || expected.Channels != actual.Channels)
            return new(false, false, 255, Math.Max(expected.Length, actual.Length),
                $"the image is {actual.Width}x{actual.Height}x{actual.Channels}, the verified one {expected.Width}x{expected.Height}x{expected.Channels}");
        int max = 0, count = 0;
        var a = expected.Pixels; var b = actual.Pixels;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            if (d > max) max = d;
            if (d > tolerance) count++;
        }
        return new(count == 0, true, max, count, count == 0
            ? (max == 0 ? "identical pixels" : $"pixels within the tolerance of {tolerance} (largest difference {max})")
            : $"{count} of {a.Length} values differ by more than {tolerance} (largest difference {max})");
    }

    /// <summary>Compares two image files: equal bytes match at once; otherwise their decoded pixels are compared.</summary>
    public static PixelComparison CompareFiles(string expectedPath, string actualPath, int tolerance = 0)
    {
        var x = File.ReadAllBytes(expectedPath);
        var y = File.ReadAllBytes(actualPath);
        if (x.AsSpan().SequenceEqual(y)) return new(true, true, 0, 0, "identical files");
        return Compare(Image.Decode(x, expectedPath), Image.Decode(y, actualPath), tolerance);
    }
}
