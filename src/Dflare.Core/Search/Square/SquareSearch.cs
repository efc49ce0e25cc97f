// Over 300 lines on purpose: the whole square strategy (objectives, bisection, windows, lock-step state) in one reading.
using Dflare.Attacks;
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search.Random;

namespace Dflare.Search.Square;

/// <summary>
/// The <c>square</c> strategy: a score-based Square Attack (Andriushchenko et al., ECCV 2020) inside the L∞ ball of
/// radius ε around the seed (ε = <see cref="DistortionBound.MaxLInf"/>; 255 without a bound), looking for deviations.
/// </summary>
/// <remarks>
/// <para>The image is the seed plus ±ε on every changed value (clipped to 0..255). It starts from the paper's vertical
/// stripes (a random sign per column and channel) or, with <see cref="SquareSettings.StartFromSeed"/>, from the seed.
/// Each step sets one random s×s square to seed + ε or seed − ε (one sign per channel), the side s = round(√(p·H·W))
/// shrinking on the paper's schedule from p_init (<see cref="SquareSchedule"/>, shared with the robustness attack), and
/// the step is kept iff the loss falls.</para>
/// <para><see cref="SquareObjective.Boundary"/>: the loss is the walked model's log-probability margin
/// log p(y) − max_{j≠y} log p(j) (y: its label on the seed), and only the walked model is queried (1 query a step).
/// The walked model is the original, or the compressed model with <see cref="SquareSettings.Toward"/> =
/// <see cref="SquareToward.Compressed"/>; the other one is the checked model. When a step makes the walked model leave
/// y, the search bisects between the last image that kept y (A) and the first that did not (B): first over the values
/// that differ (switched from A to B in a fixed pseudo-random order), then over the grey levels of the one value that
/// makes the difference, down to two images L and U one grey level apart on either side of the walked model's
/// boundary. Only then is the checked model queried, at L and, if needed, at U: an end where the two labels differ (by
/// <see cref="Deviation.Judge"/> of the original's and the compressed model's outputs, ties never count) is the
/// triggering input. When both models flip together the attack goes on from L.</para>
/// <para><see cref="SquareObjective.Confident"/>: both models are queried on every image (2 queries a step), with the
/// loss max(m − (p_M(y) − max_{j≠y} p_M(j)), 0) + max(m − (p_C(j*) − max_{k≠j*} p_C(k)), 0), j* the compressed model's
/// most likely class other than y; it reaches 0 exactly when the original keeps y and the compressed model picks j*,
/// each by a margin of at least m = <see cref="SearchSettings.MinMargin"/>; such an image is the triggering input.</para>
/// <para>Randomness comes from one generator per seed (run seed, seed id), and each decision depends only on this
/// search's answers, so results do not depend on batching or threads.</para>
/// </remarks>
public sealed class SquareSearch : SeedSearch
{
    private const ulong Stream = 0x5351_5541_5245; // "SQUARE"
    private static readonly IReadOnlyList<QueryTarget> ToOriginal = [QueryTarget.Original];
    private static readonly IReadOnlyList<QueryTarget> ToCompressed = [QueryTarget.Compressed];
    private static readonly IReadOnlyList<QueryTarget> ToBoth = [QueryTarget.Both];

    private readonly Rng _rng;
    private readonly int _eps;
    private readonly byte[]? _radii;
    private readonly bool _confident;
    // Boundary objective: the model whose margin is walked and bisected on, and the one asked at the ends.
    private readonly bool _walkCompressed;
    private readonly IReadOnlyList<QueryTarget> _toWalked, _toChecked;
    private readonly double _margin;
    private readonly long _steps;
    private readonly int _h, _w, _c;
    private int _y;
    private sbyte[] _delta;
    private Image _current;
    private float[] _currentWalked = [];
    private double _currentLoss;
    private int _unevaluated;

    private Phase _phase;
    private Image? _proposed;
    private sbyte[]? _proposedDelta;
    private IReadOnlyList<QueryTarget> _targets = ToOriginal;
    // Bisection between A (keeps y) and B (leaves y).
    private Image? _a, _b;
    private int[] _diff = [];
    private int _lo, _hi, _greyLo, _greyHi, _value;
    private float[] _loWalked = [], _hiWalked = [];
    private Image? _loImage, _hiImage;

    private enum Phase { Init, Step, BisectValues, BisectGrey, CheckLow, CheckHigh }

    /// <summary>Starts the search of <paramref name="seed"/> (<paramref name="image"/>: the seed at model geometry).</summary>
    /// <exception cref="ArgumentException">The strategy is not <see cref="SearchStrategy.Square"/>.</exception>
    public SquareSearch(Seed seed, Image image, SearchSettings settings) : this(seed, image, settings, settings.Budget) { }

    /// <summary>
    /// A search whose p schedule is laid out for <paramref name="scheduleBudget"/> queries (shrinking runs the first
    /// queries of a full-budget search). With <paramref name="radii"/>, value i moves by at most radii[i] (and ε) instead
    /// of ε, and a square that would change nothing is moved elsewhere (see <see cref="Shrinking.LocalRadius"/>).
    /// </summary>
    internal SquareSearch(Seed seed, Image image, SearchSettings settings, long scheduleBudget, byte[]? radii = null) : base(seed, image, settings)
    {
        if (radii is not null && radii.Length != image.Length) throw new ArgumentException($"{radii.Length} radii for {image.Length} values.", nameof(radii));
        _radii = radii;
        if (settings.Strategy != SearchStrategy.Square) throw new ArgumentException("SquareSearch runs the square strategy.", nameof(settings));
        _rng = Rng.For(settings.RunSeed, seed.Id, Stream);
        _eps = settings.Bound.MaxLInf ?? 255;
        _confident = settings.Square.Resolve(settings.MinMargin) == SquareObjective.Confident;
        _walkCompressed = !_confident && settings.Square.Toward == SquareToward.Compressed;
        (_toWalked, _toChecked) = _walkCompressed ? (ToCompressed, ToOriginal) : (ToOriginal, ToCompressed);
        _margin = settings.MinMargin;
        _steps = Math.Max(1, scheduleBudget / (_confident ? 2 : 1));
        (_h, _w, _c) = (image.Height, image.Width, image.Channels);
        _delta = new sbyte[image.Length];
        _current = image;
    }

    /// <summary>True when this search uses the confident objective.</summary>
    public bool Confident => _confident;

    /// <summary>True when the boundary objective walks toward the compressed model's boundary (see <see cref="SquareSettings.Toward"/>).</summary>
    public bool WalksCompressed => _walkCompressed;

    /// <summary>Times the walked model's boundary was crossed and bisected (boundary objective).</summary>
    public int Crossings { get; private set; }

    /// <inheritdoc />
    protected override int MinQueryCost => _confident ? 2 : 1;

    /// <inheritdoc />
    protected override IReadOnlyList<QueryTarget>? ProposedTargets => _targets;

    /// <summary>The walked model's margin loss for the boundary objective: log p(y) − max_{j≠y} log p(j).</summary>
    public static double BoundaryLoss(ReadOnlySpan<float> probabilities, int y)
    {
        double best = double.NegativeInfinity;
        for (int j = 0; j < probabilities.Length; j++) if (j != y) best = Math.Max(best, probabilities[j]);
        return Math.Log(Math.Max(probabilities[y], 1e-45)) - Math.Log(Math.Max(best, 1e-45));
    }

    /// <summary>The confident objective's loss (0 exactly when the image is a deviation with both margins ≥ <paramref name="m"/>).</summary>
    public static double ConfidentLoss(ReadOnlySpan<float> original, ReadOnlySpan<float> compressed, int y, double m)
    {
        double other = double.NegativeInfinity;
        for (int j = 0; j < original.Length; j++) if (j != y) other = Math.Max(other, original[j]);
        int jStar = -1;
        for (int j = 0; j < compressed.Length; j++) if (j != y && (jStar < 0 || compressed[j] > compressed[jStar])) jStar = j;
        double rest = double.NegativeInfinity;
        for (int k = 0; k < compressed.Length; k++) if (k != jStar) rest = Math.Max(rest, compressed[k]);
        return Math.Max(m - (original[y] - other), 0) + Math.Max(m - (compressed[jStar] - rest), 0);
    }

    /// <inheritdoc />
    protected override void ObserveSeed(float[] original, float[] compressed)
    {
        // The walked model's label on the seed (the original's is SeedLabel; the compressed model's is the same unless
        // the seed's labels differ without being a deviation, e.g. below the minimum margin).
        _y = _walkCompressed ? Labels.ArgMax(compressed) : SeedLabel;
        _currentWalked = _walkCompressed ? compressed : original;
        _currentLoss = _confident ? ConfidentLoss(original, compressed, _y, _margin) : BoundaryLoss(_currentWalked, _y);
        _phase = Settings.Square.StartFromSeed ? Phase.Step : Phase.Init;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<Image>? ProposeMutants(int maxImages)
    {
        if (RemainingQueries < MinQueryCost) { GiveUpReason = "budget spent"; return null; }
        switch (_phase)
        {
            case Phase.Init:
            {
                var d = new sbyte[_delta.Length];
                for (int ch = 0; ch < _c; ch++)
                    for (int x = 0; x < _w; x++)
                    {
                        sbyte sign = _rng.Chance(0.5) ? (sbyte)1 : (sbyte)-1;
                        for (int y = 0; y < _h; y++) d[(y * _w + x) * _c + ch] = sign;
                    }
                return Approach(d);
            }
            case Phase.Step:
                while (true)
                {
                    var d = NextSquare();
                    if (Approach(d) is { } p) return p;
                    if (++_unevaluated >= Settings.MaxUnevaluatedInARow) { GiveUpReason = "too many mutants out of the SSIM bound in a row"; return null; }
                }
            case Phase.BisectValues:
                return Single(Switched((_lo + _hi) / 2), _toWalked);
            case Phase.BisectGrey:
                return Single(WithValue(_loImage!, _value, (_greyLo + _greyHi) / 2), _toWalked);
            case Phase.CheckLow:
                return Single(_loImage!, _toChecked);
            case Phase.CheckHigh:
                return Single(_hiImage!, _toChecked);
            default:
                throw new InvalidOperationException($"Seed {Seed.Id}: unknown phase {_phase}.");
        }
    }

    private IReadOnlyList<Image>? Approach(sbyte[] delta)
    {
        var image = Build(delta);
        if (!Settings.Bound.Accepts(image, SeedImage)) return null;
        _unevaluated = 0;
        _proposedDelta = delta;
        return Single(image, _confident ? ToBoth : _toWalked);
    }

    private Image[] Single(Image image, IReadOnlyList<QueryTarget> targets)
    {
        _proposed = image;
        _targets = targets;
        return [image];
    }

    /// <summary>The next step's deltas: the current ones with one random square set to ±1 per channel (changing at least one value when possible).</summary>
    private sbyte[] NextSquare()
    {
        int s = SquareSchedule.Side(SquareSchedule.Share(Settings.Square.PInit, Iterations, _steps), _h, _w);
        int top = _rng.NextInt(_h - s + 1), left = _rng.NextInt(_w - s + 1);
        var d = (sbyte[])_delta.Clone();
        for (int attempt = 0; attempt < 10; attempt++)
        {
            bool changed = false;
            for (int ch = 0; ch < _c; ch++)
            {
                sbyte sign = _rng.Chance(0.5) ? (sbyte)1 : (sbyte)-1;
                for (int y = top; y < top + s; y++)
                    for (int x = left; x < left + s; x++)
                    {
                        int i = (y * _w + x) * _c + ch;
                        d[i] = sign;
                        if (Value(i, sign) != _current.Pixels[i]) changed = true;
                    }
            }
            if (changed) break;
            if (_radii is not null)
            {
                top = _rng.NextInt(_h - s + 1);
                left = _rng.NextInt(_w - s + 1);
            }
        }
        return d;
    }

    private byte Value(int i, int sign) => (byte)Math.Clamp(SeedImage.Pixels[i] + sign * (_radii is null ? _eps : Math.Min(_eps, (int)_radii[i])), 0, 255);

    private Image Build(sbyte[] delta)
    {
        var px = new byte[delta.Length];
        for (int i = 0; i < px.Length; i++) px[i] = Value(i, delta[i]);
        return new Image(_w, _h, _c, px);
    }

    /// <summary>A with the first <paramref name="k"/> values of the (shuffled) difference set taken from B.</summary>
    private Image Switched(int k)
    {
        var px = (byte[])_a!.Pixels.Clone();
        for (int i = 0; i < k; i++) px[_diff[i]] = _b!.Pixels[_diff[i]];
        return new Image(_w, _h, _c, px);
    }

    private static Image WithValue(Image image, int index, int level)
    {
        var px = (byte[])image.Pixels.Clone();
        px[index] = (byte)level;
        return new Image(image.Width, image.Height, image.Channels, px);
    }

    /// <inheritdoc />
    protected override int ObserveMutants(IReadOnlyList<Image> mutants, IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed)
    {
        var image = _proposed!;
        float[] po = original[0], pc = compressed[0];
        // Boundary objective: the walked model's answer (empty when the image went to the checked model only).
        float[] pw = _walkCompressed ? pc : po;
        switch (_phase)
        {
            case Phase.Init or Phase.Step:
                Iterations++;
                if (_confident)
                {
                    if (Judge(po, pc) == Verdict.Deviate) { Triggered(image, po, pc); return 1; }
                    double loss = ConfidentLoss(po, pc, _y, _margin);
                    if (loss < _currentLoss || _phase == Phase.Init) Accept(image, po, loss);
                }
                else if (Keeps(pw))
                {
                    double loss = BoundaryLoss(pw, _y);
                    if (loss < _currentLoss || _phase == Phase.Init) Accept(image, pw, loss);
                }
                else StartBisection(image, pw);
                if (_phase == Phase.Init) _phase = Phase.Step;
                return 1;
            case Phase.BisectValues:
            {
                int mid = (_lo + _hi) / 2;
                if (Keeps(pw)) { _lo = mid; _loWalked = pw; } else { _hi = mid; _hiWalked = pw; }
                if (_hi - _lo <= 1) StartGrey();
                return 1;
            }
            case Phase.BisectGrey:
            {
                int mid = (_greyLo + _greyHi) / 2;
                if (Keeps(pw)) { _greyLo = mid; _loWalked = pw; } else { _greyHi = mid; _hiWalked = pw; }
                if (Math.Abs(_greyHi - _greyLo) <= 1) EndBisection();
                return 1;
            }
            case Phase.CheckLow:
                if (CheckEnd(image, _loWalked, po, pc)) return 1;
                _phase = Phase.CheckHigh;
                return 1;
            case Phase.CheckHigh:
                if (CheckEnd(image, _hiWalked, po, pc)) return 1;
                // Both models flipped together: go on from the last image that kept y on both.
                _current = _loImage!;
                _delta = DeltaOf(_current);
                _currentWalked = _loWalked;
                _currentLoss = BoundaryLoss(_loWalked, _y);
                _phase = Phase.Step;
                return 1;
            default:
                throw new InvalidOperationException($"Seed {Seed.Id}: unknown phase {_phase}.");
        }
    }

    /// <summary>
    /// Judges a bisection end from the walked model's answer there (known) and the checked model's (just asked: in
    /// <paramref name="po"/> or <paramref name="pc"/>), always as (original, compressed); true when it is the triggering input.
    /// </summary>
    private bool CheckEnd(Image image, float[] walked, float[] po, float[] pc)
    {
        var (original, compressed) = _walkCompressed ? (po, walked) : (walked, pc);
        if (Judge(original, compressed) != Verdict.Deviate) return false;
        Triggered(image, original, compressed);
        return true;
    }

    /// <summary>True when the walked model's strict top-1 is still its label on the seed.</summary>
    private bool Keeps(float[] walked) => !Labels.HasTopTie(walked) && Labels.ArgMax(walked) == _y;

    private void Accept(Image image, float[] walked, double loss)
    {
        _current = image;
        _delta = _proposedDelta!;
        _currentWalked = walked;
        _currentLoss = loss;
    }

    /// <summary>The deltas of an image between bisection ends: a value off the ±ε grid keeps the sign of its side (only used to seed the next squares).</summary>
    private sbyte[] DeltaOf(Image image)
    {
        var d = new sbyte[image.Length];
        for (int i = 0; i < d.Length; i++)
        {
            int diff = image.Pixels[i] - SeedImage.Pixels[i];
            d[i] = diff > 0 ? (sbyte)1 : diff < 0 ? (sbyte)-1 : _delta[i];
        }
        return d;
    }

    private void StartBisection(Image leaves, float[] leavesWalked)
    {
        Crossings++;
        _a = _current;
        _b = leaves;
        var diff = new List<int>();
        for (int i = 0; i < _a.Length; i++) if (_a.Pixels[i] != _b.Pixels[i]) diff.Add(i);
        _diff = diff.ToArray();
        _rng.Shuffle(_diff.AsSpan());
        _lo = 0; _hi = _diff.Length;
        _loWalked = _currentWalked; _hiWalked = leavesWalked;
        if (_hi - _lo <= 1) StartGrey(); else _phase = Phase.BisectValues;
    }

    private void StartGrey()
    {
        _loImage = Switched(_lo);
        _value = _diff[_lo];
        _greyLo = _a!.Pixels[_value];
        _greyHi = _b!.Pixels[_value];
        _hiImage = null;
        if (Math.Abs(_greyHi - _greyLo) <= 1) EndBisection(); else _phase = Phase.BisectGrey;
    }

    private void EndBisection()
    {
        var lo = WithValue(_loImage!, _value, _greyLo);
        _hiImage = WithValue(_loImage!, _value, _greyHi);
        _loImage = lo;
        _phase = Phase.CheckLow;
    }
}
