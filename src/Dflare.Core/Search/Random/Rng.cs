using System.Text;

namespace Dflare.Search.Random;

/// <summary>
/// A small deterministic pseudo-random generator (xoshiro256**, seeded through SplitMix64). Every random decision of a
/// search comes from one of these, seeded from a stable hash of (run seed, seed id[, stream]); the same seed always
/// gives the same sequence on every machine, process and thread. Not thread-safe: one instance per search.
/// </summary>
/// <remarks>
/// <see cref="System.Random"/> and <see cref="string.GetHashCode()"/> are deliberately not used: the first's algorithm
/// is not a documented contract and the second is randomised per process.
/// </remarks>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;

    /// <summary>Creates a generator whose state is expanded from <paramref name="seed"/> with SplitMix64.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1; // the all-zero state is a fixed point
    }

    /// <summary>
    /// The generator for one seed of one run: seeded from a stable 64-bit hash of the run seed, the seed id and an
    /// optional stream number (to derive independent sub-streams, such as one per iteration).
    /// </summary>
    public static Rng For(ulong runSeed, string seedId, ulong stream = 0) => new(Hash(runSeed, seedId, stream));

    /// <summary>
    /// A stable 64-bit hash of (run seed, seed id, stream): FNV-1a over the UTF-8 bytes of the id, mixed with the two
    /// numbers through SplitMix64. The same inputs give the same value in every process.
    /// </summary>
    public static ulong Hash(ulong runSeed, string seedId, ulong stream = 0)
    {
        ArgumentNullException.ThrowIfNull(seedId);
        ulong h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(seedId)) { h ^= b; h *= 1099511628211UL; }
        ulong x = runSeed;
        ulong a = SplitMix64(ref x);
        x = a ^ h;
        ulong b2 = SplitMix64(ref x);
        x = b2 ^ (stream * 0xD1B54A32D192ED03UL + 0x8CB92BA72F3D8DD7UL);
        return SplitMix64(ref x);
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> and returns the next output.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>An independent copy in the same state: it draws exactly what this generator would draw next.</summary>
    public Rng Clone() => (Rng)MemberwiseClone();

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform double in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double NextDouble(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>A uniform integer in [0, <paramref name="n"/>), without modulo bias (Lemire's method).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not positive.</exception>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The range must be positive.");
        ulong range = (ulong)n;
        ulong x = NextUInt64() >> 32;
        ulong m = x * range;
        ulong low = m & 0xFFFFFFFFUL;
        if (low < range)
        {
            ulong threshold = (0x1_0000_0000UL - range) % range;
            while (low < threshold)
            {
                x = NextUInt64() >> 32;
                m = x * range;
                low = m & 0xFFFFFFFFUL;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>A uniform integer in [<paramref name="min"/>, <paramref name="maxInclusive"/>].</summary>
    public int NextInt(int min, int maxInclusive) => min + NextInt(maxInclusive - min + 1);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>
    /// A standard normal sample by the Box–Muller transform (both values of a pair are used: the second is kept for
    /// the next call).
    /// </summary>
    public double NextGaussian()
    {
        if (_spareGaussian is { } spare) { _spareGaussian = null; return spare; }
        var (u1, u2) = BoxMullerUniforms();
        var (z0, z1) = BoxMuller(u1, u2);
        _spareGaussian = z1;
        return z0;
    }

    // The two uniforms of one Box–Muller pair (u1 > 0, for the logarithm).
    private (double U1, double U2) BoxMullerUniforms()
    {
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        return (u1, NextDouble());
    }

    private static (double Z0, double Z1) BoxMuller(double u1, double u2)
    {
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (r * cos, r * sin);
    }

    /// <summary>
    /// Fills <paramref name="values"/> with exactly what as many <see cref="NextGaussian()"/> calls would return, leaving
    /// the generator in the same state — except that a Box–Muller pair whose radius is certainly below
    /// <paramref name="zeroBelow"/> is written as two zeros without computing it (both of its values have magnitude
    /// below the radius). Callers that only ask whether |value| reaches a bound use that to skip most of the work.
    /// </summary>
    /// <param name="values">Where the samples go.</param>
    /// <param name="zeroBelow">The radius below which pairs may be zeroed; 0 (default) computes every value.</param>
    public void FillGaussian(Span<double> values, double zeroBelow = 0)
    {
        int i = 0;
        if (values.Length == 0) return;
        if (_spareGaussian is { } spare) { _spareGaussian = null; values[i++] = spare; }
        // u1 > limit ⇒ r = √(−2 ln u1) < zeroBelow (with a relative safety margin far above the rounding errors).
        double reach = zeroBelow * (1 - 1e-9);
        double limit = zeroBelow > 0 ? Math.Exp(-reach * reach / 2) : double.PositiveInfinity;
        for (; i + 1 < values.Length; i += 2)
        {
            var (u1, u2) = BoxMullerUniforms();
            (values[i], values[i + 1]) = u1 > limit ? (0, 0) : BoxMuller(u1, u2);
        }
        if (i < values.Length) values[i] = NextGaussian(); // the last odd value keeps its exact spare for the next call
    }

    /// <summary>A normal sample with the given mean and standard deviation.</summary>
    public double NextGaussian(double mean, double stdDev) => mean + stdDev * NextGaussian();

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct integers in [0, <paramref name="n"/>), in the order drawn (redrawing repeats
    /// for small counts, a partial Fisher–Yates shuffle otherwise).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or larger than <paramref name="n"/>.</exception>
    public int[] Distinct(int count, int n)
    {
        if (count < 0 || count > n) throw new ArgumentOutOfRangeException(nameof(count), count, $"Cannot draw {count} distinct values from {n}.");
        var result = new int[count];
        if (count * 4L <= n)
        {
            var seen = new HashSet<int>();
            for (int k = 0; k < count; k++)
            {
                int v;
                do v = NextInt(n); while (!seen.Add(v));
                result[k] = v;
            }
            return result;
        }
        var all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        for (int k = 0; k < count; k++)
        {
            int j = k + NextInt(n - k);
            (all[k], all[j]) = (all[j], all[k]);
            result[k] = all[k];
        }
        return result;
    }
}
