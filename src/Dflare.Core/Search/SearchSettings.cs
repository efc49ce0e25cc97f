using Dflare.Search.DiffChaser;
using Dflare.Search.Mutation;
using Dflare.Search.Square;

namespace Dflare.Search;

/// <summary>
/// Everything that decides a search's results (strategy, budget, run seed, operators, bounds, rules) plus how it is
/// executed (<see cref="LockStep"/>, <see cref="Threads"/>), which never changes results.
/// </summary>
public sealed record SearchSettings
{
    /// <summary>The algorithm (default DFlare).</summary>
    public SearchStrategy Strategy { get; init; } = SearchStrategy.Dflare;

    /// <summary>
    /// Model queries per seed (one image evaluated on one model = 1 query; a DFlare iteration = 2). The check of the
    /// seed itself counts (2 queries). Default <see cref="QueryBudget.SearchDefault"/> (2,000).
    /// </summary>
    public QueryBudget Budget { get; init; } = QueryBudget.SearchDefault;

    /// <summary>Optional wall-time limit per seed. Unlike the query budget this is not deterministic: results then depend on the machine.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>The run seed; each seed's generator is seeded from (run seed, seed id). Default 0.</summary>
    public ulong RunSeed { get; init; }

    /// <summary>DFlare's mutation operators (default: the seven built-ins).</summary>
    public IReadOnlyList<IMutationOperator> Operators { get; init; } = MutationOperators.Default();

    /// <summary>Optional bound on the distortion from the seed (default none).</summary>
    public DistortionBound Bound { get; init; } = DistortionBound.None;

    /// <summary>
    /// Minimum margin (top-1 minus second probability, in each model) for differing labels to count as a deviation.
    /// Default 0: differing strict top-1 labels suffice. A tied top-1 never counts (see <see cref="Deviation"/>).
    /// </summary>
    public double MinMargin { get; init; }

    /// <summary>DFlare: a probability pair is novel when its squared L2 distance to every pair seen for the seed exceeds this. Default 0.5.</summary>
    public double NoveltyThreshold { get; init; } = 0.5;

    /// <summary>DFlare: the |gap| must grow by more than this over the best so far to count as progress. Default 1e-3.</summary>
    public double GapEpsilon { get; init; } = 1e-3;

    /// <summary>
    /// DFlare: do not send a mutant identical to the current image to the models (e.g. a blur with kernel 1); its answer is
    /// known and it could not be kept, so this changes no decision and only saves queries. Default true.
    /// </summary>
    public bool SkipUnchanged { get; init; } = true;

    /// <summary>DFlare: give up a seed after this many mutants in a row that were not evaluated (rejected by the SSIM bound or unchanged). Default 1,000.</summary>
    public int MaxUnevaluatedInARow { get; init; } = 1000;

    /// <summary>Parameters of the <c>square</c> strategy (objective, p_init, start).</summary>
    public SquareSettings Square { get; init; } = new();

    /// <summary>
    /// Shrink every triggering input toward its seed before reporting it, with at most this fraction of
    /// <see cref="Budget"/> as extra queries (2 per evaluated image; charged in <see cref="SeedSearchResult.ShrinkQueries"/>,
    /// not in <see cref="SeedSearchResult.Queries"/>). Default 0.1; 0 turns shrinking off.
    /// </summary>
    public double ShrinkFraction { get; init; } = 0.1;

    /// <summary>Which of the shipped code's differences <c>dflare-reference</c> applies (all by default; for ablations, not on the command line).</summary>
    public DflareReference.DflareReferenceSettings DflareReference { get; init; } = new();

    /// <summary>Parameters of the DiffChaser baseline.</summary>
    public DiffChaserSettings DiffChaser { get; init; } = new();

    /// <summary>Seeds searched at the same time, their mutants evaluated together (default 64). Does not change results.</summary>
    public int LockStep { get; init; } = 64;

    /// <summary>Model batches evaluated concurrently (default: the number of cores). Does not change results.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Fill the padding of fixed-size model batches with the mutants searches would propose next if their pending ones
    /// are rejected, and use those answers when they do (default true). Does not change results; saves steps, above all
    /// when few searches are active (one seed, or the tail of a run). Dynamic-batch pairs have no padding to fill.
    /// </summary>
    public bool Speculate { get; init; } = true;

    /// <summary>Checks every value.</summary>
    /// <exception cref="SettingException">A value is out of range (the message names the setting, e.g. <c>Budget</c>).</exception>
    public void Validate()
    {
        Budget.Validate(nameof(Budget));
        if (TimeLimit is { } t && t <= TimeSpan.Zero) throw new SettingException($"TimeLimit must be positive (got {t.TotalSeconds} s).", nameof(TimeLimit));
        if (Operators is null || Operators.Count == 0) throw new SettingException("At least one mutation operator is needed (Operators).", nameof(Operators));
        if (!(MinMargin >= 0 && MinMargin < 1)) throw new SettingException($"MinMargin must be in [0, 1) (got {MinMargin}).", nameof(MinMargin));
        if (!(NoveltyThreshold >= 0) || !double.IsFinite(NoveltyThreshold)) throw new SettingException($"NoveltyThreshold must be ≥ 0 (got {NoveltyThreshold}).", nameof(NoveltyThreshold));
        if (!(GapEpsilon >= 0) || !double.IsFinite(GapEpsilon)) throw new SettingException($"GapEpsilon must be ≥ 0 (got {GapEpsilon}).", nameof(GapEpsilon));
        if (MaxUnevaluatedInARow < 1) throw new SettingException($"MaxUnevaluatedInARow must be at least 1 (got {MaxUnevaluatedInARow}).", nameof(MaxUnevaluatedInARow));
        if (LockStep < 1) throw new SettingException($"LockStep must be at least 1 (got {LockStep}).", nameof(LockStep));
        if (Threads < 1) throw new SettingException($"Threads must be at least 1 (got {Threads}).", nameof(Threads));
        if (!(ShrinkFraction >= 0 && ShrinkFraction <= 1)) throw new SettingException($"ShrinkFraction must be between 0 and 1 (a fraction of the budget; got {ShrinkFraction}).", nameof(ShrinkFraction));
        Bound.Validate();
        Square.Validate();
        if (Strategy == SearchStrategy.Square) Square.ValidateFor(MinMargin);
        DiffChaser.Validate();
    }
}
