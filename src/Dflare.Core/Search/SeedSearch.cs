// Over 300 lines on purpose: the search life cycle every strategy shares (seed check, budget, speculation hooks, shrinking).
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search.Random;
using Dflare.Search.Shrinking;

namespace Dflare.Search;

/// <summary>
/// The search of one seed as a state machine: <see cref="Propose"/> returns the next image(s) to evaluate on both
/// models and <see cref="Observe"/> takes the models' answers. The first proposal is the seed itself (already
/// deviating seeds stop there). A search's decisions depend only on its own random generator and its own answers,
/// so evaluating many searches' proposals together (lock-step) gives the same results as one at a time.
/// </summary>
public abstract class SeedSearch
{
    private IReadOnlyList<Image>? _pending;
    private IReadOnlyList<QueryTarget>? _pendingTargets;
    private SeedSearchResult? _result;
    private SeedSearchResult? _found;
    private Shrinker? _shrinker;
    private Square.SquareSearch? _nearer;
    private long _shrinkBudget;
    private bool _nearerFound;
    private int _nearerRadius;
    private (Image Image, float[] Original, float[] Compressed) _best;
    /// <summary>Largest radius (grey levels) of the short square attack that shrinking tries first on a far triggering input.</summary>
    public const int NearerRadius = 24;
    /// <summary>Largest radius of a second, closer attempt made when the first one found a deviation.</summary>
    public const int CloserRadius = 12;
    /// <summary>Those attacks' radius per grey level of the seed's local standard deviation (see <see cref="LocalRadius"/>).</summary>
    public const double NearerContrastScale = 0.75;
    private const ulong ShrinkStream = 0x5348_5249_4E4B; // "SHRINK"

    /// <summary>Starts the search of <paramref name="seed"/>; <paramref name="image"/> is the seed at model geometry.</summary>
    protected SeedSearch(Seed seed, Image image, SearchSettings settings)
    {
        Seed = seed ?? throw new ArgumentNullException(nameof(seed));
        SeedImage = image ?? throw new ArgumentNullException(nameof(image));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
    }

    /// <summary>The seed.</summary>
    public Seed Seed { get; }
    /// <summary>The seed image at model geometry (what the mutations start from).</summary>
    public Image SeedImage { get; }
    /// <summary>The settings.</summary>
    public SearchSettings Settings { get; }
    /// <summary>True once the search has a result.</summary>
    public bool IsDone => _result is not null;
    /// <summary>True while a found triggering input is being shrunk toward the seed (see <see cref="SearchSettings.ShrinkFraction"/>).</summary>
    public bool IsShrinking => _shrinker is not null || _nearer is not null;
    /// <summary>Queries spent shrinking the triggering input (on top of <see cref="Queries"/>).</summary>
    public long ShrinkQueries { get; private set; }
    /// <summary>Queries spent so far (both models).</summary>
    public long Queries { get; private set; }
    /// <summary>Queries spent so far on the original model alone (the rest went to the compressed model).</summary>
    public long OriginalQueries { get; private set; }
    /// <summary>Queries the budget still allows.</summary>
    protected long RemainingQueries => Settings.Budget - Queries;
    /// <summary>The fewest queries a next proposal can cost: 2 (one image on both models) unless the strategy sends single-model probes (1).</summary>
    protected virtual int MinQueryCost => QueryBudget.Cost(QueryTarget.Both);
    /// <summary>Iterations so far (see <see cref="SeedSearchResult.Iterations"/>).</summary>
    public int Iterations { get; protected set; }
    /// <summary>Wall time attributed so far, in seconds.</summary>
    public double Seconds { get; private set; }
    /// <summary>Original model's probabilities on the seed (after the first observation).</summary>
    protected float[] SeedOriginal { get; private set; } = [];
    /// <summary>Compressed model's probabilities on the seed (after the first observation).</summary>
    protected float[] SeedCompressed { get; private set; } = [];
    /// <summary>Evaluated images whose labels differed by argmax but that were a tie or below the margin.</summary>
    protected int TiesOrBelowMargin { get; set; }

    /// <summary>The result (only when <see cref="IsDone"/>).</summary>
    /// <exception cref="InvalidOperationException">The search is not done.</exception>
    public SeedSearchResult Result => _result ?? throw new InvalidOperationException($"The search of seed {Seed.Id} is not done.");

    /// <summary>Adds wall time attributed to this seed (used for <see cref="SearchSettings.TimeLimit"/>).</summary>
    public void AddSeconds(double seconds)
    {
        Seconds += seconds;
        if (_result is not null) _result = _result with { Seconds = Seconds };
    }

    /// <summary>
    /// The next images to evaluate on both models (at least one), or an empty list when the search has finished
    /// (then <see cref="Result"/> is set). Calling it again before <see cref="Observe"/> returns the same images.
    /// </summary>
    public IReadOnlyList<Image> Propose()
    {
        if (_result is not null) return [];
        if (_pending is not null) return _pending;
        _pendingTargets = null;
        if (Queries == 0) return _pending = [SeedImage];
        if (_nearer is not null)
        {
            var p = _nearer.Propose();
            if (p.Count > 0) { _pendingTargets = _nearer.Targets; return _pending = p; }
            var r = _nearer.Result;
            if (r.Status == SearchStatus.Triggered && r.L2 <= Distances.L2(_best.Image, SeedImage) && r.LInf <= Distances.LInf(_best.Image, SeedImage)
                && r.Ssim >= Distances.Ssim(_best.Image, SeedImage))
            {
                _best = (r.Trigger!, r.OriginalProbabilities!, r.CompressedProbabilities!);
                _nearerFound = true;
                // Found: a second, closer attempt with 60 % of what is left (once, and only when enough is left).
                long left = _shrinkBudget - ShrinkQueries;
                if (_nearerRadius > CloserRadius && r.LInf > CloserRadius && left >= 40 && StartNearer(CloserRadius, left * 3 / 5)) return Propose();
            }
            _nearer = null;
            StartShrinker();
        }
        if (_shrinker is not null)
        {
            if (_shrinker.Next() is { } candidate) return _pending = [candidate];
            FinishShrinking();
            return [];
        }
        if (Settings.TimeLimit is { } limit && Seconds >= limit.TotalSeconds) { Finish("time limit"); return []; }
        if (RemainingQueries < MinQueryCost) { Finish("budget spent"); return []; }
        var next = ProposeMutants((int)Math.Min(Settings.Budget.ImagesLeft(Queries), int.MaxValue));
        if (next is null || next.Count == 0) { if (_result is null) Finish(GiveUpReason ?? "no more mutants"); return []; }
        _pendingTargets = ProposedTargets;
        if (_pendingTargets is { } t && t.Count != next.Count)
            throw new InvalidOperationException($"Seed {Seed.Id}: {next.Count} images proposed with {t.Count} query targets.");
        return _pending = next;
    }

    /// <summary>
    /// Which model(s) each image of the pending proposal goes to, in order (<see cref="QueryTarget.Both"/> for all when
    /// null). A model an image is not sent to answers it with an empty vector in <see cref="Observe"/>.
    /// </summary>
    public IReadOnlyList<QueryTarget>? Targets => _pending is null ? null : _pendingTargets;

    /// <summary>Strategy hook: the targets of the images <see cref="ProposeMutants"/> just returned (null: all on both models).</summary>
    protected virtual IReadOnlyList<QueryTarget>? ProposedTargets => null;

    /// <summary>Images evaluated speculatively for this search (see <see cref="Speculate"/>), used or not.</summary>
    public long SpeculatedImages { get; private set; }
    /// <summary>Speculative answers the search went on to use (each saved one evaluation).</summary>
    public long SpeculationHits { get; private set; }

    /// <summary>
    /// Up to <paramref name="max"/> images this search would propose <em>after</em> the pending proposal if that and
    /// each of them is rejected — the common case — so that idle slots of a padded fixed-size batch can evaluate them
    /// ahead of time. Their answers go to <see cref="ObserveSpeculative"/>; when the search really reaches such an image,
    /// <see cref="AnswerFromSpeculation"/> uses the stored answer instead of a new evaluation. Speculation never changes
    /// results: the search proposes exactly what it would have proposed, and an image's answers do not depend on its
    /// batch. Empty when nothing is pending, the search is done, or the strategy does not speculate.
    /// </summary>
    public IReadOnlyList<Image> Speculate(int max)
    {
        if (_result is not null || IsShrinking || _pending is null || Queries == 0 || max <= 0) return [];
        // Each speculative image is useful only if the budget would still allow it after the pending proposal.
        long depth = Settings.Budget.ImagesLeft(Queries) - _pending.Count;
        if (depth <= 0) return [];
        var images = SpeculateMutants(max, (int)Math.Min(depth, int.MaxValue));
        SpeculatedImages += images.Count;
        return images;
    }

    /// <summary>Takes both models' answers for the images of the last <see cref="Speculate"/>, in order.</summary>
    /// <exception cref="InvalidOperationException">The counts do not match.</exception>
    public void ObserveSpeculative(IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed)
    {
        if (original.Count != compressed.Count) throw new InvalidOperationException($"Seed {Seed.Id}: {original.Count}/{compressed.Count} speculative answers.");
        if (original.Count > 0) StoreSpeculative(original, compressed);
    }

    /// <summary>
    /// When the pending proposal was already evaluated speculatively, observes those answers (as <see cref="Observe"/>
    /// would) and returns true; the caller then asks <see cref="Propose"/> again.
    /// </summary>
    public bool AnswerFromSpeculation()
    {
        if (_pending is null || IsShrinking || KnownAnswers() is not { } known) return false;
        SpeculationHits++;
        Observe(known.Original, known.Compressed);
        return true;
    }

    /// <summary>Strategy hook for <see cref="Speculate"/>: at most <paramref name="max"/> new images, at most <paramref name="depth"/> ahead of the pending proposal in all.</summary>
    protected virtual IReadOnlyList<Image> SpeculateMutants(int max, int depth) => [];

    /// <summary>Strategy hook for <see cref="ObserveSpeculative"/>.</summary>
    protected virtual void StoreSpeculative(IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed) { }

    /// <summary>Strategy hook for <see cref="AnswerFromSpeculation"/>: the stored answers for the pending proposal, if any.</summary>
    protected virtual (IReadOnlyList<float[]> Original, IReadOnlyList<float[]> Compressed)? KnownAnswers() => null;

    /// <summary>Takes both models' probabilities for the images of the last <see cref="Propose"/>, in order.</summary>
    /// <exception cref="InvalidOperationException">Nothing is pending, or the counts do not match.</exception>
    public void Observe(IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed)
    {
        var pending = _pending ?? throw new InvalidOperationException($"Seed {Seed.Id}: nothing was proposed.");
        if (original.Count != pending.Count || compressed.Count != pending.Count)
            throw new InvalidOperationException($"Seed {Seed.Id}: {pending.Count} images proposed but {original.Count}/{compressed.Count} answers given.");
        var targets = _pendingTargets;
        for (int i = 0; i < pending.Count; i++)
        {
            var t = targets?[i] ?? QueryTarget.Both;
            if ((original[i].Length == 0) == t.HasOriginal() || (compressed[i].Length == 0) == t.HasCompressed())
                throw new InvalidOperationException($"Seed {Seed.Id}: image {i} was sent to {t} but the answers do not match.");
        }
        _pending = null;
        _pendingTargets = null;
        if (_nearer is not null)
        {
            for (int i = 0; i < pending.Count; i++) ShrinkQueries += QueryBudget.Cost(targets?[i] ?? QueryTarget.Both);
            _nearer.Observe(original, compressed);
            return;
        }
        if (_shrinker is not null)
        {
            ShrinkQueries += QueryBudget.Cost(QueryTarget.Both);
            _shrinker.Observe(Deviation.Judge(original[0], compressed[0], Settings.MinMargin, SeedLabel) == Verdict.Deviate, original[0], compressed[0]);
            return;
        }
        if (Queries == 0)
        {
            Queries = QueryBudget.Cost(QueryTarget.Both);
            OriginalQueries = QueryBudget.Cost(QueryTarget.Original);
            SeedOriginal = original[0];
            SeedLabel = Labels.ArgMax(SeedOriginal);
            SeedCompressed = compressed[0];
            var v = Judge(original[0], compressed[0]);
            if (v == Verdict.Deviate)
            {
                _result = Base(SearchStatus.AlreadyDeviating, "models disagree on the seed") with
                {
                    OriginalLabel = Labels.ArgMax(original[0]), CompressedLabel = Labels.ArgMax(compressed[0]),
                    OriginalProbabilities = original[0], CompressedProbabilities = compressed[0],
                };
                return;
            }
            ObserveSeed(original[0], compressed[0]);
            return;
        }
        int used = ObserveMutants(pending, original, compressed);
        for (int i = 0; i < used; i++)
        {
            var t = targets?[i] ?? QueryTarget.Both;
            Queries += QueryBudget.Cost(t);
            if (t.HasOriginal()) OriginalQueries++;
        }
        if (_result is not null) _result = _result with { Queries = Queries, OriginalQueries = OriginalQueries, Iterations = Iterations };
        if (_found is not null) _found = _found with { Queries = Queries, OriginalQueries = OriginalQueries, Iterations = Iterations };
    }

    /// <summary>Called with the seed's answers when the models agree on it (before the first mutants).</summary>
    protected abstract void ObserveSeed(float[] original, float[] compressed);

    /// <summary>The next mutants, at most <paramref name="maxImages"/>; null or empty to give up (set <see cref="GiveUpReason"/>).</summary>
    protected abstract IReadOnlyList<Image>? ProposeMutants(int maxImages);

    /// <summary>
    /// Consumes the answers for the proposed mutants; returns how many of them (the first ones) count as evaluated: each is
    /// charged one query per model it went to (see <see cref="ProposedTargets"/>; 2 by default). A model an image was not
    /// sent to answers with an empty vector.
    /// </summary>
    protected abstract int ObserveMutants(IReadOnlyList<Image> mutants, IReadOnlyList<float[]> original, IReadOnlyList<float[]> compressed);

    /// <summary>Why <see cref="ProposeMutants"/> gave up, when it returns nothing.</summary>
    protected string? GiveUpReason { get; set; }

    /// <summary>Per-operator statistics to report (DFlare).</summary>
    protected virtual IReadOnlyList<OperatorStat> OperatorStats => [];

    /// <summary>The accepted mutations so far (DFlare).</summary>
    protected virtual IReadOnlyList<MutationStep> Mutations => [];

    /// <summary>The original's label on the seed (−1 before the seed is evaluated), which a confident deviation must keep.</summary>
    protected int SeedLabel { get; private set; } = -1;

    /// <summary>Judges one evaluated image and counts ties / below-margin near misses.</summary>
    protected Verdict Judge(float[] original, float[] compressed)
    {
        var v = Deviation.Judge(original, compressed, Settings.MinMargin, SeedLabel);
        if (v is Verdict.Tie or Verdict.BelowMargin or Verdict.OriginalMoved && Labels.ArgMax(original) != Labels.ArgMax(compressed)) TiesOrBelowMargin++;
        return v;
    }

    /// <summary>
    /// Records <paramref name="image"/> as the triggering input and ends the search, or, with
    /// <see cref="SearchSettings.ShrinkFraction"/> &gt; 0, starts shrinking it toward the seed first (the result is set
    /// once shrinking is over). A triggering input farther than <see cref="NearerRadius"/> grey levels from the seed
    /// (not found by <c>square</c>) first gets a short <c>square</c> attack from the seed within that radius, each value
    /// moving at most <see cref="NearerContrastScale"/> × the seed's local standard deviation (<see cref="LocalRadius"/>),
    /// with 80 % of the shrinking budget: a deviation it finds replaces the input when it is no farther in L2 and L∞ and
    /// no less similar (SSIM), and is followed by one closer attempt within <see cref="CloserRadius"/> with 60 % of what
    /// is left. Then the <see cref="Shrinker"/> passes run with the rest.
    /// </summary>
    protected void Triggered(Image image, float[] original, float[] compressed)
    {
        var found = Base(SearchStatus.Triggered, "labels differ") with { FoundTrigger = image };
        found = WithTrigger(found, image, original, compressed);
        _shrinkBudget = Settings.Budget.Share(Settings.ShrinkFraction);
        if (_shrinkBudget < QueryBudget.Minimum) { _result = found; return; }
        _found = found;
        _best = (image, original, compressed);
        int radius = Math.Min(NearerRadius, Settings.Bound.MaxLInf ?? NearerRadius);
        bool far = Settings.Strategy != SearchStrategy.Square && found.LInf > radius && _shrinkBudget >= 20;
        if (!far || !StartNearer(radius, _shrinkBudget * 4 / 5)) StartShrinker();
    }

    /// <summary>
    /// Starts the first queries of a full-budget square search (its p schedule laid out for the seed's budget) from the
    /// seed, with at most <paramref name="budget"/> queries, each value moving at most in proportion to the seed's local
    /// contrast, up to <paramref name="radius"/> (flat regions stay untouched). False when no value may move.
    /// </summary>
    private bool StartNearer(int radius, long budget)
    {
        var radii = LocalRadius.For(SeedImage, NearerContrastScale, radius);
        if (!radii.Any(r => r > 0)) return false;
        var near = Settings with
        {
            // + 2: the seed's check, given below and not charged.
            Strategy = SearchStrategy.Square, Budget = budget + 2, ShrinkFraction = 0, TimeLimit = null,
            Bound = Settings.Bound with { MaxLInf = radius }, Square = Settings.Square with { StartFromSeed = true },
        };
        _nearerRadius = radius;
        _nearer = new Square.SquareSearch(Seed, SeedImage, near, Settings.Budget, radii);
        // Its first proposal is the seed, whose answers are known: given, not queried again.
        _nearer.Propose();
        _nearer.Observe([SeedOriginal], [SeedCompressed]);
        return true;
    }

    private void StartShrinker()
    {
        int probes = (int)Math.Min(int.MaxValue, new QueryBudget(_shrinkBudget).ImagesLeft(ShrinkQueries));
        _shrinker = new Shrinker(SeedImage, SeedLabel, _best.Image, _best.Original, _best.Compressed, probes, Settings.Bound,
            Rng.For(Settings.RunSeed, Seed.Id, ShrinkStream));
    }

    private SeedSearchResult WithTrigger(SeedSearchResult r, Image image, float[] original, float[] compressed) => r with
    {
        Trigger = image,
        OriginalLabel = Labels.ArgMax(original), CompressedLabel = Labels.ArgMax(compressed),
        OriginalProbabilities = original, CompressedProbabilities = compressed,
        L0 = Distances.L0(image, SeedImage), L2 = Distances.L2(image, SeedImage),
        LInf = Distances.LInf(image, SeedImage), Ssim = Distances.Ssim(image, SeedImage),
    };

    private void FinishShrinking()
    {
        var found = _found!;
        var sh = _shrinker!;
        _shrinker = null;
        _found = null;
        _result = WithTrigger(found, sh.Best, sh.BestOriginal, sh.BestCompressed) with
        {
            Seconds = Seconds,
            Shrink = new ShrinkOutcome(ShrinkQueries, sh.Probes, sh.Accepted, found.L0!.Value, found.L2!.Value, found.LInf!.Value, found.Ssim!.Value)
            {
                NearerFound = _nearerFound,
            },
        };
    }

    private void Finish(string reason) => _result = Base(SearchStatus.NotFound, reason);

    private SeedSearchResult Base(SearchStatus status, string reason) => new()
    {
        SeedId = Seed.Id, SeedIndex = Seed.Index, TrueLabel = Seed.Label, Status = status, StopReason = reason,
        Queries = Queries, OriginalQueries = OriginalQueries, Iterations = Iterations, Seconds = Seconds,
        SeedOriginalLabel = Labels.ArgMax(SeedOriginal), SeedCompressedLabel = Labels.ArgMax(SeedCompressed),
        SeedImage = SeedImage, SeedOriginalProbabilities = SeedOriginal, SeedCompressedProbabilities = SeedCompressed,
        Mutations = Mutations.ToArray(), OperatorStats = OperatorStats.ToArray(), TiesOrBelowMargin = TiesOrBelowMargin,
    };
}
