using Dflare.Images;
using Dflare.Search.Random;

namespace Dflare.Search.Shrinking;

/// <summary>
/// Shrinks a triggering input toward its seed, the way a property-testing tool shrinks a failing example, keeping the
/// deviation. A state machine like the searches: <see cref="Next"/> gives the next image to evaluate on both models,
/// <see cref="Observe"/> says whether it still deviates.
/// </summary>
/// <remarks>
/// Three passes, each keeping every candidate that still deviates as the new best:
/// (1) along the seed→trigger segment, bisecting the fraction t of the difference kept (in 64ths);
/// (2) over the values that differ from the seed, in a fixed pseudo-random order: chunks of them are put back to the
/// seed's values, the chunk halving from half the values down to one (delta debugging);
/// (3) over grey levels: chunks of the remaining differences are halved toward the seed, the chunk halving again.
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

    /// <summary>Starts shrinking <paramref name="trigger"/> toward <paramref name="seed"/> with at most <paramref name="probes"/> evaluated images.</summary>
    public Shrinker(Image seed, Image trigger, float[] original, float[] compressed, int probes, DistortionBound bound, Rng rng)
    {
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
            if (c is null || c.Equals(Best) || !_bound.Accepts(c, _seed)) { _lastDeviates = false; continue; }
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
        if (!deviates) return;
        Accepted++;
        Best = c;
        BestOriginal = original;
        BestCompressed = compressed;
    }

    /// <summary>The candidates in order; after each yielded one, <see cref="_lastDeviates"/> tells its verdict.</summary>
    private IEnumerable<Image?> Plan()
    {
        // (1) The segment: the smallest t (in 64ths) that still deviates, by bisection from t = 1 (the trigger).
        const int steps = 64;
        var trigger = Best;
        int lo = 0, hi = steps;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            yield return Blend(trigger, mid, steps);
            if (_lastDeviates) hi = mid; else lo = mid;
        }
        // (2) Put chunks of changed values back to the seed's.
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
        // (3) Halve chunks of the remaining differences toward the seed, repeatedly while it still deviates.
        for (int chunk = Math.Max(1, changed.Count); chunk >= 1 && changed.Count > 0; chunk /= 2)
        {
            for (int start = 0; start < changed.Count; start += chunk)
            {
                int n = Math.Min(chunk, changed.Count - start);
                yield return Revert(changed, start, n, full: false);
            }
            changed = Changed();
            if (chunk == 1) break;
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
