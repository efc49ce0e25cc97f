using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Mutation;

/// <summary>
/// Median blur with a square kernel whose side is drawn uniformly from <see cref="Kernels"/> (default 1, 3, 5, 7), per
/// channel, as OpenCV's <c>medianBlur</c> (BORDER_REPLICATE). Kernel 1 leaves the image unchanged.
/// </summary>
public sealed class MedianBlur : IMutationOperator
{
    /// <summary>Creates the operator.</summary>
    /// <exception cref="DflareException">A kernel size is not a positive odd number, or none is given.</exception>
    public MedianBlur(int[]? kernels = null)
    {
        kernels ??= [1, 3, 5, 7];
        if (kernels.Length == 0 || kernels.Any(k => k < 1 || k % 2 == 0))
            throw OperatorParameters.Invalid(Name, $"kernels must be positive odd numbers (got {string.Join("|", kernels)})");
        Kernels = kernels;
    }

    /// <summary>The kernel sides to draw from.</summary>
    public IReadOnlyList<int> Kernels { get; }

    /// <inheritdoc />
    public string Name => "median-blur";
    /// <inheritdoc />
    public string Spec => $"{Name}:kernels={string.Join("|", Kernels)}";

    /// <inheritdoc />
    public Image Apply(Image image, Rng rng) => Blur(image, Kernels[rng.NextInt(Kernels.Count)]);

    /// <summary>Median-filters with a <paramref name="k"/>×<paramref name="k"/> window.</summary>
    /// <remarks>
    /// Huang's sliding histogram: along each row the window's histogram loses one column and gains one. The median is
    /// found through a second, coarse histogram of 16 bins of 16 levels (at most 16 + 16 steps, wherever the median
    /// jumps). The result is the same as sorting every window (<see cref="BlurReference"/>).
    /// </remarks>
    public static Image Blur(Image image, int k)
    {
        if (k == 1) return image.Clone();
        if (Vector128.IsHardwareAccelerated && image.Width * image.Channels >= Vector128<byte>.Count && k <= MaxNetworkKernel)
            return BlurNetwork(image, k);
        return BlurHistogram(image, k);
    }

    /// <summary>Largest kernel side the sorting-network path takes (49 values, a 64-wire network).</summary>
    private const int MaxNetworkKernel = 7;

    private static readonly (int Lo, int Hi)[]?[] Networks = new (int, int)[]?[MaxNetworkKernel + 1];

    /// <summary>
    /// The median of every window through a sorting network on 16 windows at once (byte min/max on vector lanes):
    /// Batcher's odd–even merge sort over the k² values padded with 255 to a power of two, pruned to the comparators
    /// the middle output depends on. A sorting network gives exactly the sorted order, so the median is the same as
    /// <see cref="BlurReference"/>'s.
    /// </summary>
    private static Image BlurNetwork(Image image, int k)
    {
        int w = image.Width, h = image.Height, c = image.Channels, a = k / 2, n = k * k, stride = w * c;
        var net = Networks[k] ??= MedianNetwork(n);
        int wires = Wires(n);
        var src = image.Pixels;
        // Rows with the border replicated a pixels to either side: window column dx of output byte q is at q + dx·c.
        int pstride = (w + 2 * a) * c;
        var padded = new byte[h * pstride];
        for (int y = 0; y < h; y++)
            for (int px = -a; px < w + a; px++)
                src.AsSpan((y * w + PixelOps.Replicate(px, w)) * c, c).CopyTo(padded.AsSpan(y * pstride + (px + a) * c, c));
        var dst = new byte[src.Length];
        if (Vector256.IsHardwareAccelerated && stride >= Vector256<byte>.Count)
            RunNetwork<Vector256<byte>, Lanes32>(padded, pstride, dst, w, h, c, k, net, wires);
        else
            RunNetwork<Vector128<byte>, Lanes16>(padded, pstride, dst, w, h, c, k, net, wires);
        return new Image(w, h, c, dst);
    }

    /// <summary>The vector operations the network needs, for one lane width (a struct, so each width is compiled apart).</summary>
    private interface ILanes<TV> where TV : unmanaged
    {
        static abstract int Count { get; }
        static abstract TV Load(ReadOnlySpan<byte> bytes);
        static abstract TV Max { get; }
        static abstract void Sort(ref TV lo, ref TV hi);
        static abstract void Store(TV v, Span<byte> bytes);
    }

    private readonly struct Lanes16 : ILanes<Vector128<byte>>
    {
        public static int Count => Vector128<byte>.Count;
        public static Vector128<byte> Load(ReadOnlySpan<byte> bytes) => Vector128.Create(bytes);
        public static Vector128<byte> Max => Vector128<byte>.AllBitsSet;
        public static void Sort(ref Vector128<byte> lo, ref Vector128<byte> hi) { var min = Vector128.Min(lo, hi); hi = Vector128.Max(lo, hi); lo = min; }
        public static void Store(Vector128<byte> v, Span<byte> bytes) => v.CopyTo(bytes);
    }

    private readonly struct Lanes32 : ILanes<Vector256<byte>>
    {
        public static int Count => Vector256<byte>.Count;
        public static Vector256<byte> Load(ReadOnlySpan<byte> bytes) => Vector256.Create(bytes);
        public static Vector256<byte> Max => Vector256<byte>.AllBitsSet;
        public static void Sort(ref Vector256<byte> lo, ref Vector256<byte> hi) { var min = Vector256.Min(lo, hi); hi = Vector256.Max(lo, hi); lo = min; }
        public static void Store(Vector256<byte> v, Span<byte> bytes) => v.CopyTo(bytes);
    }

    private static void RunNetwork<TV, TL>(byte[] padded, int pstride, byte[] dst, int w, int h, int c, int k, (int Lo, int Hi)[] net, int wires)
        where TV : unmanaged where TL : struct, ILanes<TV>
    {
        int a = k / 2, n = k * k, stride = w * c, lanes = TL.Count;
        Span<int> rows = stackalloc int[k];
        Span<TV> v = stackalloc TV[wires];
        for (int y = 0; y < h; y++)
        {
            for (int dy = 0; dy < k; dy++) rows[dy] = PixelOps.Replicate(y - a + dy, h) * pstride;
            for (int p = 0; p < stride; p += lanes)
            {
                int q = Math.Min(p, stride - lanes); // the last block may overlap the one before: same outputs again
                for (int dy = 0, i = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++, i++)
                        v[i] = TL.Load(padded.AsSpan(rows[dy] + q + dx * c, lanes));
                for (int i = n; i < wires; i++) v[i] = TL.Max;
                ref var v0 = ref MemoryMarshal.GetReference(v);
                foreach (var (lo, hi) in net) TL.Sort(ref Unsafe.Add(ref v0, lo), ref Unsafe.Add(ref v0, hi));
                TL.Store(v[n / 2], dst.AsSpan(y * stride + q, lanes));
            }
        }
    }

    /// <summary>
    /// Batcher's odd–even merge sort on the next power of two ≥ <paramref name="n"/> wires, keeping only the comparators
    /// that output <c>n / 2</c> (the median of the first n wires, the rest being the maximum value) depends on.
    /// </summary>
    internal static (int Lo, int Hi)[] MedianNetwork(int n)
    {
        int wires = Wires(n);
        var all = new List<(int, int)>();
        void Sort(int lo, int m) { if (m > 1) { Sort(lo, m / 2); Sort(lo + m / 2, m / 2); Merge(lo, m, 1); } }
        void Merge(int lo, int m, int r)
        {
            int step = r * 2;
            if (step < m)
            {
                Merge(lo, m, step);
                Merge(lo + r, m, step);
                for (int i = lo + r; i + r < lo + m; i += step) all.Add((i, i + r));
            }
            else all.Add((lo, lo + r));
        }
        Sort(0, wires);
        // Wires n.. hold 255 until a comparator moves a real value there: a comparator whose upper wire holds 255 does
        // nothing, and one whose lower wire holds 255 is a plain swap (kept).
        var real = Enumerable.Range(0, wires).Select(i => i < n).ToArray();
        var folded = new List<(int, int)>();
        foreach (var (lo, hi) in all)
        {
            if (!real[hi]) continue;
            if (!real[lo]) { real[lo] = true; real[hi] = false; }
            folded.Add((lo, hi));
        }
        var needed = new bool[wires];
        needed[n / 2] = true;
        var kept = new List<(int, int)>();
        for (int i = folded.Count - 1; i >= 0; i--)
        {
            var (lo, hi) = folded[i];
            if (!needed[lo] && !needed[hi]) continue;
            needed[lo] = needed[hi] = true;
            kept.Add((lo, hi));
        }
        kept.Reverse();
        return kept.ToArray();
    }

    /// <summary>The network's width for n values: the next power of two.</summary>
    private static int Wires(int n) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)n);

    private static Image BlurHistogram(Image image, int k)
    {
        int w = image.Width, h = image.Height, c = image.Channels, a = k / 2, mid = k * k / 2;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        Span<int> hist = stackalloc int[256];
        Span<int> coarse = stackalloc int[16];
        Span<int> rows = stackalloc int[k];
        Span<int> xs = stackalloc int[w + k];
        for (int i = 0; i < xs.Length; i++) xs[i] = PixelOps.Replicate(i - a - 1, w) * c; // xs[x + a + 1] = column of x
        for (int y = 0; y < h; y++)
        {
            for (int dy = 0; dy < k; dy++) rows[dy] = PixelOps.Replicate(y - a + dy, h) * w * c;
            for (int ch = 0; ch < c; ch++)
            {
                hist.Clear();
                coarse.Clear();
                for (int dx = -a; dx <= a; dx++)
                {
                    int col = xs[dx + a + 1] + ch;
                    for (int dy = 0; dy < k; dy++) { int v = src[rows[dy] + col]; hist[v]++; coarse[v >> 4]++; }
                }
                int o = y * w * c + ch;
                dst[o] = Median(hist, coarse, mid);
                for (int x = 1; x < w; x++)
                {
                    int colOut = xs[x] + ch, colIn = xs[x + 2 * a + 1] + ch; // columns x − a − 1 and x + a
                    for (int dy = 0; dy < k; dy++)
                    {
                        int vout = src[rows[dy] + colOut], vin = src[rows[dy] + colIn];
                        hist[vout]--; coarse[vout >> 4]--;
                        hist[vin]++; coarse[vin >> 4]++;
                    }
                    dst[o + x * c] = Median(hist, coarse, mid);
                }
            }
        }
        return new Image(w, h, c, dst);
    }

    // The smallest value whose cumulative count exceeds mid.
    private static byte Median(ReadOnlySpan<int> hist, ReadOnlySpan<int> coarse, int mid)
    {
        int acc = 0, b = 0;
        while (acc + coarse[b] <= mid) acc += coarse[b++];
        int v = b << 4;
        while (acc + hist[v] <= mid) acc += hist[v++];
        return (byte)v;
    }

    /// <summary>The straightforward median filter (a histogram per window), kept as the reference <see cref="Blur"/> is tested against.</summary>
    internal static Image BlurReference(Image image, int k)
    {
        if (k == 1) return image.Clone();
        int w = image.Width, h = image.Height, c = image.Channels, a = k / 2, mid = k * k / 2;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        Span<int> hist = stackalloc int[256];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    hist.Clear();
                    for (int dy = -a; dy <= a; dy++)
                    {
                        int yy = PixelOps.Replicate(y + dy, h);
                        for (int dx = -a; dx <= a; dx++)
                            hist[src[(yy * w + PixelOps.Replicate(x + dx, w)) * c + ch]]++;
                    }
                    int acc = 0, v = 0;
                    for (; v < 256; v++) { acc += hist[v]; if (acc > mid) break; }
                    dst[(y * w + x) * c + ch] = (byte)v;
                }
        return new Image(w, h, c, dst);
    }

    internal static MedianBlur From(OperatorParameters p)
    {
        var op = new MedianBlur(p.Ints("kernels", [1, 3, 5, 7]));
        p.EnsureAllUsed(["kernels"]);
        return op;
    }
}
