using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Shrinking;

/// <summary>
/// Shrinks a triggering input toward its seed, the way a property-testing tool shrinks a failing example, keeping the
/// deviation. A state machine like the searches: <see cref="Next"/> gives the next image to evaluate on both models,
/// <see cref="Observe"/> says whether it still deviates.
/// </summary>
/// <remarks>
/// Passes, each keeping every candidate that still deviates as the new best:
/// (1) along the seed→trigger segment, bisecting the fraction t of the difference kept (in 256ths) for the first
/// point where a model leaves the seed's label (a deviation when only one has left);
/// (2) over the values that differ from the seed, in a fixed pseudo-random order: chunks of them are put back to the
/// seed's values, the chunk halving from half the values down to one (delta debugging);
/// (3) the segment again from the smaller input, then grey levels: chunks of the remaining differences are halved
/// toward the seed, the chunk halving again.
/// Candidates outside the search's SSIM bound are skipped without a query; the L∞ bound holds by construction. It
/// stops when the probes allowed by the budget are spent or every pass is done.
/// </remarks>
public sealed class Shrinker
{
    private readonly Image _seed;
    private readonly DistortionBound _bound;
    private readonly Rng _rng;
    private int _probesLeft;
    private Image? _pending;
    private IEnumerator<Image?>? _plan;
    private bool _lastDeviates;
    private bool _lastKeepsSeedLabel;
    private readonly int _seedLabel;

    /// <summary>Starts shrinking <paramref name="trigger"/> toward <paramref name="seed"/> with at most <paramref name="probes"/> evaluated images.</summary>
    /// <param name="seed">The seed image.</param>
    /// <param name="seedLabel">The label both models give the seed.</param>
    /// <param name="trigger">The triggering input to shrink.</param>
    /// <param name="original">The original model's answer on it.</param>
    /// <param name="compressed">The compressed model's answer on it.</param>
    /// <param name="probes">The most images to evaluate.</param>
    /// <param name="bound">The search's bound (candidates outside its SSIM bound are skipped).</param>
    /// <param name="rng">The generator of the value order.</param>
    public Shrinker(Image seed, int seedLabel, Image trigger, float[] original, float[] compressed, int probes, DistortionBound bound, Rng rng)
    {
        _seedLabel = seedLabel;
        _seed = seed;
        Best = trigger;
        BestOriginal = original;
        BestCompressed = compressed;
        _probesLeft = probes;
        _bound = bound;
        _rng = rng;
    }

    /// <summary>The smallest deviating image so far.</summary>
    public Image Best { get; private set; }
    /// <summary>The original model's answer on <see cref="Best"/>.</summary>
    public float[] BestOriginal { get; private set; }
    /// <summary>The compressed model's answer on <see cref="Best"/>.</summary>
    public float[] BestCompressed { get; private set; }
    /// <summary>Images evaluated so far.</summary>
    public int Probes { get; private set; }
    /// <summary>Evaluated images that still deviated (and became the best).</summary>
    public int Accepted { get; private set; }

    /// <summary>The next image to evaluate on both models, or null when shrinking is over.</summary>
    public Image? Next()
    {
        if (_pending is not null) return _pending;
        if (_probesLeft <= 0) return null;
        _plan ??= Plan().GetEnumerator();
        while (_plan.MoveNext())
        {
            var c = _plan.Current;
            if (c is null || c.Equals(Best) || !_bound.Accepts(c, _seed)) { _lastDeviates = false; _lastKeepsSeedLabel = false; continue; }
            return _pending = c;
        }
        _probesLeft = 0;
        return null;
    }

    /// <summary>Takes the verdict on the image of the last <see cref="Next"/>.</summary>
    public void Observe(bool deviates, float[] original, float[] compressed)
    {
        var c = _pending ?? throw new InvalidOperationException("Nothing to observe: no shrink candidate is pending.");
        _pending = null;
        Probes++;
        _probesLeft--;
        _lastDeviates = deviates;
        _lastKeepsSeedLabel = Keeps(original) && Keeps(compressed);
        if (!deviates) return;
        Accepted++;
        Best = c;
        BestOriginal = original;
        BestCompressed = compressed;
    }

    private bool Keeps(float[] p) => !Models.Labels.HasTopTie(p) && Models.Labels.ArgMax(p) == _seedLabel;

    /// <summary>The candidates in order; after each yielded one, <see cref="_lastDeviates"/> tells its verdict.</summary>
    private IEnumerable<Image?> Plan()
    {
        // (1) The segment: bisect t (in 256ths) between the seed (both models give the seed's label) and the trigger
        // (they differ) for the first point where a model leaves the seed's label. If only one has left, that point
        // deviates and is nearer the seed; the best deviating point seen is kept either way.
        foreach (var c in Segment()) yield return c;
        // (2) Put chunks of changed values back to the seed's, the chunk halving from half the values down to one.
        var changed = Changed();
        for (int chunk = Math.Max(1, changed.Count / 2); ; chunk /= 2)
        {
            for (int start = 0; start < changed.Count;)
            {
                int n = Math.Min(chunk, changed.Count - start);
                yield return Revert(changed, start, n, full: true);
                if (_lastDeviates) changed.RemoveRange(start, n); else start += n;
            }
            if (chunk <= 1 || changed.Count == 0) break;
        }
        // (3) The segment again from the smaller input, then halve chunks of the remaining differences toward the seed.
        foreach (var c in Segment()) yield return c;
        changed = Changed();
        for (int half = Math.Max(1, changed.Count); half >= 1 && changed.Count > 0; half /= 2)
        {
            for (int start = 0; start < changed.Count; start += half)
            {
                int n = Math.Min(half, changed.Count - start);
                yield return Revert(changed, start, n, full: false);
            }
            changed = Changed();
            if (half == 1) break;
        }
    }

    private IEnumerable<Image?> Segment()
    {
        const int steps = 256;
        var trigger = Best;
        int lo = 0, hi = steps;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            yield return Blend(trigger, mid, steps);
            if (_lastKeepsSeedLabel) lo = mid; else hi = mid;
        }
    }

    private List<int> Changed()
    {
        var list = new List<int>();
        for (int i = 0; i < _seed.Length; i++) if (Best.Pixels[i] != _seed.Pixels[i]) list.Add(i);
        var order = list.ToArray();
        _rng.Shuffle(order.AsSpan());
        return [.. order];
    }

    private Image Blend(Image trigger, int k, int steps)
    {
        var px = new byte[_seed.Length];
        for (int i = 0; i < px.Length; i++)
        {
            int s = _seed.Pixels[i], d = trigger.Pixels[i] - s;
            px[i] = (byte)(s + (int)Math.Round((double)d * k / steps, MidpointRounding.AwayFromZero));
        }
        return new Image(_seed.Width, _seed.Height, _seed.Channels, px);
    }

    private Image? Revert(List<int> indices, int start, int n, bool full)
    {
        var px = (byte[])Best.Pixels.Clone();
        bool any = false;
        for (int j = start; j < start + n; j++)
        {
            int i = indices[j], s = _seed.Pixels[i], v = px[i];
            int to = full ? s : s + (v - s) / 2;
            if (to != v) { px[i] = (byte)to; any = true; }
        }
        return any ? new Image(_seed.Width, _seed.Height, _seed.Channels, px) : null;
    }
}
