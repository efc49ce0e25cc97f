using System.Text;

namespace Dflare.Quanos;

/// <summary>
/// A small deterministic PRNG (xoshiro256**, seeded through SplitMix64) whose stream is derived from a run seed,
/// a seed id and an iteration with a stable hash (FNV-1a over the UTF-8 id), so the same inputs give the same
/// numbers on every machine and run. Not thread-safe; create one per stream.
/// </summary>
public sealed class StableRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates the generator for one 64-bit seed.</summary>
    public StableRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>The generator for stream (<paramref name="runSeed"/>, <paramref name="id"/>, <paramref name="iteration"/>).</summary>
    public static StableRandom For(ulong runSeed, string id, long iteration = 0) => new(StreamSeed(runSeed, id, iteration));

    /// <summary>A stable 64-bit seed for (<paramref name="runSeed"/>, <paramref name="id"/>, <paramref name="iteration"/>).</summary>
    public static ulong StreamSeed(ulong runSeed, string id, long iteration = 0)
    {
        ArgumentNullException.ThrowIfNull(id);
        ulong h = 14695981039346656037UL; // FNV-1a 64
        foreach (var b in Encoding.UTF8.GetBytes(id)) { h ^= b; h *= 1099511628211UL; }
        ulong x = runSeed;
        ulong a = SplitMix(ref x) ^ h;
        x = a;
        ulong b2 = SplitMix(ref x) ^ (ulong)iteration;
        x = b2;
        return SplitMix(ref x);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotL(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotL(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="bits"/> with random bits.</summary>
    public void NextBits(Span<ulong> bits)
    {
        for (int i = 0; i < bits.Length; i++) bits[i] = NextUInt64();
    }

    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
