using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search.Mutation;
using Dflare.Search.Random;

namespace Dflare.Search.DflareStrategy;

/// <summary>
/// DFlare's search of one seed (and its ablations <c>random-ops</c> and <c>gap-only</c>).
/// </summary>
/// <remarks>
/// Each iteration: choose an operator (<see cref="OperatorSelector"/>), apply it to the <em>current</em> image (mutations
/// accumulate), clip to 0..255 and into the optional L∞ box around the seed, reject it without a query when below the
/// optional SSIM bound, then query both models once. Labels differ (see <see cref="Deviation"/>): the mutant is the
/// triggering input. Otherwise, with y the original model's top-1 label, <c>gap = P_orig(y) − P_comp(y)</c>; the pair
/// <c>(P_orig ‖ P_comp)</c> is novel when its squared L2 distance to every remembered pair (the seed's and each novel
/// mutant's) exceeds <see cref="SearchSettings.NoveltyThreshold"/>. The mutant becomes the current image, and its
/// operator is credited with a success, iff |gap| differs from the last kept mutant's (0 before the first) by more than
/// <see cref="SearchSettings.GapEpsilon"/> in either direction, or the pair is novel (the gap test only, for
/// <c>gap-only</c>). This is the DFlare authors' shipped acceptance rule, adopted because it was measured to trigger more
/// seeds than keeping only gap growth (docs/benchmarks.md); <c>dflare-reference</c> differs from this search only in
/// its operator choice from k1 = −1 and in always casting the noises to uint8.
/// <para>Randomness: operator choice draws from the stream (run seed, seed id, 0); the k-th generated mutant's
/// operator draws from stream (run seed, seed id, k). So the accepted (k, operator) list alone rebuilds the triggering
/// input (<see cref="Replay"/>).</para>
/// </remarks>
public sealed class DflareSearch : SeedSearch
{
    private readonly IReadOnlyList<IMutationOperator> _ops;
    private readonly Draws _draws;
    private readonly List<float[]> _seen = [];
    private readonly List<MutationStep> _steps = [];
    private readonly bool _gapOnly;
    private double _bestGap;
    private Candidate<int>? _pending; // tag: the operator's index
    private readonly Speculation<Draws, int> _speculation = new();
    private bool _speculatingKept; // the branch the current speculation follows: every evaluated mutant kept (true) or rejected

    /// <summary>Where the next mutant comes from: the operator selector, the generator, the mutant counter and the image mutations start from.</summary>
    private sealed class Draws(OperatorSelector selector, Rng rng, int generated, Image current)
    {
        public OperatorSelector Selector { get; } = selector;
        public Rng Rng { get; } = rng;
        public int Generated { get; set; } = generated;
        public Image Current { get; set; } = current;
        public Draws Copy() => new(Selector.Clone(), Rng.Clone(), Generated, Current);

        /// <summary>What keeping <paramref name="c"/> does to the draws (as <see cref="ObserveMutants"/> does).</summary>
        public void Keep(Candidate<int> c)
        {
            Selector.Credit(c.Tag);
            Current = c.Image;
        }
    }

    /// <summary>Starts the search of <paramref name="seed"/> (<paramref name="image"/>: the seed at model geometry).</summary>
    /// <exception cref="ArgumentException">The strategy is DiffChaser.</exception>
    public DflareSearch(Seed seed, Image image, SearchSettings settings) : base(seed, image, settings)
    {
        if (settings.Strategy == SearchStrategy.DiffChaser) throw new ArgumentException("DflareSearch runs dflare, random-ops or gap-only.", nameof(settings));
        _ops = settings.Operators;
        _draws = new Draws(new OperatorSelector(_ops.Count, metropolisHastings: settings.Strategy != SearchStrategy.RandomOps), Rng.For(settings.RunSeed, seed.Id, 0), 0, image);
        _gapOnly = settings.Strategy == SearchStrategy.GapOnly;
    }

    /// <summary>The image mutations currently start from.</summary>
    public Image Current => _draws.Current;
    /// <summary>The |gap| of the last kept mutant (0 before the first): the next mutant's gap must differ from it by more than <see cref="SearchSettings.GapEpsilon"/> to be kept for its gap.</summary>
    public double BestGap => _bestGap;
    /// <summary>The operator selector (statistics and last accepted operator).</summary>
    public OperatorSelector Selector => _draws.Selector;

    /// <inheritdoc />
    protected override IReadOnlyList<OperatorStat> OperatorStats =>
        _ops.Select((o, i) => new OperatorStat(o.Name, Selector.Selections[i], Selector.Successes[i])).ToArray();

    /// <inheritdoc />
    protected override IReadOnlyList<MutationStep> Mutations => _steps;

    /// <summary>|P_orig(y) − P_comp(y)| with y the original model's top-1 label.</summary>
    public static double Gap(ReadOnlySpan<float> original, ReadOnlySpan<float> compressed)
    {
        int y = Labels.ArgMax(original);
        return Math.Abs((double)original[y] - compressed[y]);
    }

    /// <summary>The probability pair <c>P_orig ‖ P_comp</c> (2K values).</summary>
    public static float[] Pair(ReadOnlySpan<float> original, ReadOnlySpan<float> compressed)
    {
        var v = new float[original.Length + compressed.Length];
        original.CopyTo(v);
        compressed.CopyTo(v.AsSpan(original.Length));
        return v;
    }

    /// <summary>True when <paramref name="pair"/>'s squared L2 distance to every pair in <paramref name="seen"/> exceeds <paramref name="threshold"/>.</summary>
    public static bool IsNovel(ReadOnlySpan<float> pair, IEnumerable<float[]> seen, double threshold)
    {
        foreach (var s in seen)
        {
            double d = 0;
            for (int i = 0; i < pair.Length; i++) { double t = (double)pair[i] - s[i]; d += t * t; }
            if (d <= threshold) return false;
        }
        return true;
    }

    /// <inheritdoc />
    protected override void ObserveSeed(float[] original, float[] compressed)
    {
        _bestGap = 0; // as the shipped code: the first mutant is compared with a gap of 0, not the seed's
        _seen.Add(Pair(original, compressed));
    }

    /// <inheritdoc />
    protected override IReadOnlyList<Image>? ProposeMutants(int maxImages)
    {
        _pending = Draw(_draws, fromAhead: true);
        if (_pending is null) GiveUpReason = $"{Settings.MaxUnevaluatedInARow} mutants in a row were outside the distortion bound or unchanged";
        return _pending is null ? null : [_pending.Image];
    }

    /// <summary>
    /// The next mutant worth evaluating, drawn from <paramref name="draws"/> (the real search and its speculation draw
    /// alike), or null after <see cref="SearchSettings.MaxUnevaluatedInARow"/> mutants in a row that were not.
    /// <paramref name="fromAhead"/>: take a mutant speculated with the same number and operator instead of making it again.
    /// </summary>
    private Candidate<int>? Draw(Draws draws, bool fromAhead)
    {
        for (int tries = 0; tries < Settings.MaxUnevaluatedInARow; tries++)
        {
            int op = draws.Selector.Select(draws.Rng);
            int generated = ++draws.Generated;
            if (fromAhead && _speculation.Take(generated, op) is { } known) return known; // already through the bound checks
            var mutant = Mutate(draws.Current, SeedImage, _ops[op], Settings, Seed.Id, generated);
            if (Accepts(mutant, draws.Current)) return new Candidate<int>(generated, op, mutant);
        }
        return null;
    }

    // Unchanged: its answer is known, it cannot be kept. Out of the SSIM bound: rejected unevaluated. (The cheap test first.)
    private bool Accepts(Image mutant, Image current) => !(Settings.SkipUnchanged && mutant.Equals(current)) && Settings.Bound.Accepts(mutant, SeedImage);

    /// <summary>
    /// Speculation follows the branch the search has mostly taken so far: when more than half of the evaluated mutants
    /// were kept (on resnet8 almost every mutant moves the gap by more than <see cref="SearchSettings.GapEpsilon"/>), it
    /// assumes the pending mutant and each speculated one are kept, each drawn from the one before; otherwise that they
    /// are rejected, each drawn from the current image. The real search drops the speculation as soon as it takes the
    /// other branch, so results never depend on it.
    /// </summary>
    protected override IReadOnlyList<Image> SpeculateMutants(int max, int depth) =>
        _speculation.Extend(max, depth, StartSpeculation, d =>
        {
            var c = Draw(d, fromAhead: false);
            if (c is not null && _speculatingKept) d.Keep(c);
            return c;
        });

    private Draws StartSpeculation()
    {
        var kept = 0;
        foreach (var n in Selector.Successes) kept += n;
        _speculatingKept = Iterations > 0 && 2 * kept > Iterations;
        var draws = _draws.Copy();
        if (_speculatingKept && _pending is not null) draws.Keep(_pending);
        return draws;
    }

    /// <inheritdoc />
    protected override void StoreSpeculative(IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed) =>
        _speculation.Store(Seed.Id, original, compressed);

    /// <inheritdoc />
    protected override (IReadOnlyList<float[]> Original, IReadOnlyList<float[]> Compressed)? KnownAnswers() => _pending?.Answers;

    /// <inheritdoc />
    protected override int ObserveMutants(IReadOnlyList<Image> mutants, IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed)
    {
        Iterations++;
        var mutant = mutants[0];
        float[] po = original[0], pc = compressed[0];
        var (op, number) = (_pending!.Tag, _pending.Number);
        _pending = null;
        if (Judge(po, pc) == Verdict.Deviate)
        {
            _speculation.Clear();
            Selector.Credit(op);
            _steps.Add(new MutationStep(number, _ops[op].Name));
            _draws.Current = mutant;
            Triggered(mutant, po, pc);
            return 1;
        }
        double gap = Gap(po, pc);
        bool moved = Math.Abs(gap - _bestGap) > Settings.GapEpsilon;
        var pair = Pair(po, pc);
        bool novel = !_gapOnly && IsNovel(pair, _seen, Settings.NoveltyThreshold);
        if (novel) _seen.Add(pair); // only novel pairs are remembered, so a rejection changes nothing (speculation relies on it)
        bool kept = moved || novel;
        // What was speculated on the other branch no longer follows.
        if (kept != _speculatingKept) _speculation.Clear();
        if (kept)
        {
            _draws.Current = mutant;
            _bestGap = gap;
            Selector.Credit(op);
            _steps.Add(new MutationStep(number, _ops[op].Name));
        }
        return 1;
    }

    /// <summary>The <paramref name="mutant"/>-th mutant of a seed: <paramref name="op"/> applied to <paramref name="current"/> with its own random stream, clipped into the L∞ bound.</summary>
    public static Image Mutate(Image current, Image seed, IMutationOperator op, SearchSettings settings, string seedId, int mutant)
    {
        var image = op.Apply(current, Rng.For(settings.RunSeed, seedId, (ulong)mutant));
        settings.Bound.Clip(image, seed);
        return image;
    }

    /// <summary>
    /// Rebuilds an input from its seed and accepted mutations (<see cref="SeedSearchResult.Mutations"/>) without the
    /// models: the same settings (run seed, operators, bound) and seed id give the triggering input bit for bit.
    /// </summary>
    /// <exception cref="DflareException">A step names an operator that is not in the settings.</exception>
    public static Image Replay(Image seed, string seedId, IEnumerable<MutationStep> steps, SearchSettings settings)
    {
        var current = seed;
        foreach (var s in steps)
        {
            var op = settings.Operators.FirstOrDefault(o => o.Name == s.Operator)
                ?? throw new DflareException($"Cannot replay: operator '{s.Operator}' is not in the operator set.");
            current = Mutate(current, seed, op, settings, seedId, s.Mutant);
        }
        return current;
    }
}
