using Dflare.Datasets;
using Dflare.Images;
using Dflare.Search.DflareStrategy;
using Dflare.Search.Mutation;
using Dflare.Search.Random;

namespace Dflare.Search.DflareReference;

/// <summary>
/// DFlare as the authors' shipped code behaves (<c>dflare-reference</c>), on the engine's operators, query budget,
/// tie rule and bounds. It differs from the first <see cref="DflareSearch"/> in three ways (<see cref="DflareReferenceSettings"/>);
/// <c>dflare</c> has since adopted the first and (as the operators' default) the third, so that only the operator
/// choice still differs by default:
/// <list type="number">
/// <item>Acceptance: a mutant is kept iff <c>| |gap| − |gap_ref| | &gt; 1e-3</c> (either direction) or its probability
/// pair is novel, where gap_ref starts at 0 and becomes each kept mutant's |gap|; only novel pairs are remembered for the
/// novelty test (squared L2 distance &gt; <see cref="SearchSettings.NoveltyThreshold"/> to every remembered pair, the
/// seed's first).</item>
/// <item>Operator choice: Metropolis–Hastings over ranks from k1 = −1 (<see cref="OperatorSelector.Memoryless"/>).</item>
/// <item>The two noise operators cast to uint8 (<see cref="NoiseCast.Uint8"/>: truncation, wrap-around).</item>
/// </list>
/// </summary>
/// <remarks>
/// <para>Randomness as in <see cref="DflareSearch"/>: operator choice from stream (run seed, seed id, 0), the k-th
/// mutant from stream (run seed, seed id, k), so <see cref="Replay"/> rebuilds a triggering input. It does not speculate
/// (<see cref="SearchSettings.Speculate"/> only saves model runs; results are the same).</para>
/// </remarks>
public sealed class DflareReferenceSearch : SeedSearch
{
    private readonly IReadOnlyList<IMutationOperator> _ops;
    private readonly DflareReferenceSettings _rules;
    private readonly OperatorSelector _selector;
    private readonly Rng _rng;
    private readonly List<float[]> _remembered = [];
    private readonly List<MutationStep> _steps = [];
    private Image _current;
    private double _refGap;
    private int _generated;
    private (int Mutant, int Op)? _pending;

    /// <summary>Starts the search of <paramref name="seed"/> (<paramref name="image"/>: the seed at model geometry).</summary>
    /// <exception cref="ArgumentException">The strategy is not <see cref="SearchStrategy.DflareReference"/>.</exception>
    public DflareReferenceSearch(Seed seed, Image image, SearchSettings settings) : base(seed, image, settings)
    {
        if (settings.Strategy != SearchStrategy.DflareReference) throw new ArgumentException("DflareReferenceSearch runs dflare-reference.", nameof(settings));
        _rules = settings.DflareReference;
        _ops = OperatorsFor(settings);
        _selector = new OperatorSelector(_ops.Count, metropolisHastings: true, memoryless: _rules.MemorylessRanks);
        _rng = Rng.For(settings.RunSeed, seed.Id, 0);
        _current = image;
    }

    /// <summary>The operators the search applies: <see cref="SearchSettings.Operators"/>, with both noise operators cast to uint8 when <see cref="DflareReferenceSettings.Uint8Noise"/>.</summary>
    public static IReadOnlyList<IMutationOperator> OperatorsFor(SearchSettings settings) =>
        !settings.DflareReference.Uint8Noise ? settings.Operators : settings.Operators.Select(o => o switch
        {
            GaussianNoise g => new GaussianNoise(g.Mean, g.Variance, NoiseCast.Uint8),
            MultiplicativeNoise m => new MultiplicativeNoise(m.MeanMin, m.MeanMax, m.VarianceMax, NoiseCast.Uint8),
            _ => o,
        }).ToArray();

    /// <summary>The image mutations currently start from.</summary>
    public Image Current => _current;
    /// <summary>The |gap| of the last kept mutant (0 before the first).</summary>
    public double ReferenceGap => _refGap;
    /// <summary>The operator selector.</summary>
    public OperatorSelector Selector => _selector;
    /// <summary>Mutants kept so far (accepted, not counting the triggering input).</summary>
    public int Kept { get; private set; }

    /// <inheritdoc />
    protected override IReadOnlyList<OperatorStat> OperatorStats =>
        _ops.Select((o, i) => new OperatorStat(o.Name, _selector.Selections[i], _selector.Successes[i])).ToArray();

    /// <inheritdoc />
    protected override IReadOnlyList<MutationStep> Mutations => _steps;

    /// <inheritdoc />
    protected override void ObserveSeed(float[] original, float[] compressed)
    {
        _refGap = _rules.EitherDirection ? 0 : DflareSearch.Gap(original, compressed);
        _remembered.Add(DflareSearch.Pair(original, compressed));
    }

    /// <inheritdoc />
    protected override IReadOnlyList<Image>? ProposeMutants(int maxImages)
    {
        for (int tries = 0; tries < Settings.MaxUnevaluatedInARow; tries++)
        {
            int op = _selector.Select(_rng);
            _generated++;
            var mutant = DflareSearch.Mutate(_current, SeedImage, _ops[op], Settings, Seed.Id, _generated);
            // Unchanged (its answer is known and it cannot be kept) or outside the SSIM bound: not queried.
            if (Settings.SkipUnchanged && mutant.Equals(_current)) continue;
            if (!Settings.Bound.Accepts(mutant, SeedImage)) continue;
            _pending = (_generated, op);
            return [mutant];
        }
        GiveUpReason = $"{Settings.MaxUnevaluatedInARow} mutants in a row were outside the distortion bound or unchanged";
        return null;
    }

    /// <inheritdoc />
    protected override int ObserveMutants(IReadOnlyList<Image> mutants, IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed)
    {
        Iterations++;
        var mutant = mutants[0];
        float[] po = original[0], pc = compressed[0];
        var (number, op) = _pending ?? throw new InvalidOperationException($"Seed {Seed.Id}: no mutant is pending.");
        _pending = null;
        if (Judge(po, pc) == Verdict.Deviate)
        {
            _selector.Credit(op);
            _steps.Add(new MutationStep(number, _ops[op].Name));
            _current = mutant;
            Triggered(mutant, po, pc);
            return 1;
        }
        double gap = DflareSearch.Gap(po, pc);
        var pair = DflareSearch.Pair(po, pc);
        bool novel = DflareSearch.IsNovel(pair, _remembered, Settings.NoveltyThreshold);
        bool keep;
        if (_rules.EitherDirection)
        {
            if (novel) _remembered.Add(pair);
            keep = Math.Abs(gap - _refGap) > Settings.GapEpsilon || novel;
            if (keep) _refGap = gap;
        }
        else
        {
            _remembered.Add(pair);
            bool grew = gap > _refGap + Settings.GapEpsilon;
            keep = grew || novel;
            if (grew) _refGap = gap;
        }
        if (keep)
        {
            _current = mutant;
            Kept++;
            _selector.Credit(op);
            _steps.Add(new MutationStep(number, _ops[op].Name));
        }
        return 1;
    }

    /// <summary>
    /// Rebuilds an input of this strategy from its seed and accepted mutations without the models (as
    /// <see cref="DflareSearch.Replay"/>, with the operators of <see cref="OperatorsFor"/>).
    /// </summary>
    /// <exception cref="DflareException">A step names an operator that is not in the settings.</exception>
    public static Image Replay(Image seed, string seedId, IEnumerable<MutationStep> steps, SearchSettings settings) =>
        DflareSearch.Replay(seed, seedId, steps, settings with { Operators = OperatorsFor(settings) });
}
