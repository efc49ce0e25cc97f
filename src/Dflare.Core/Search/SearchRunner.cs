// Over 300 lines on purpose: the lock-step scheduler (batching across seeds, speculation, threads, journal, progress) is one loop.
using System.Diagnostics;
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search.DflareStrategy;
using Dflare.Search.DiffChaser;
using Dflare.Search.Square;

namespace Dflare.Search;

/// <summary>
/// Runs seed searches in lock-step: up to <see cref="SearchSettings.LockStep"/> seeds are active at once; each step
/// collects every active search's proposals, evaluates them as one batch per model (split into model-sized batches that
/// run on <see cref="SearchSettings.Threads"/> threads; a fixed-batch model gets full batches), and feeds the answers
/// back. A finished seed's place is taken by the next seed. A single-seed run is the same code with one active search.
/// </summary>
/// <remarks>
/// Results do not depend on <see cref="SearchSettings.LockStep"/> or <see cref="SearchSettings.Threads"/>: each search
/// draws from its own generator and decides only from its own answers, and ONNX Runtime returns the same numbers for an
/// image whatever else is in its batch (checked by the tests on fixed- and dynamic-batch models).
/// </remarks>
public sealed class SearchRunner
{
    private readonly ModelPair _pair;

    /// <summary>Creates a runner for a model pair.</summary>
    /// <exception cref="DflareException">The settings are invalid.</exception>
    public SearchRunner(ModelPair pair, SearchSettings settings)
    {
        _pair = pair ?? throw new ArgumentNullException(nameof(pair));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        settings.Validate();
    }

    /// <summary>The settings.</summary>
    public SearchSettings Settings { get; }

    /// <summary>Creates the search of one seed (the image is brought to model geometry first).</summary>
    public SeedSearch Create(Seed seed)
    {
        var image = _pair.Prepare(seed);
        return Settings.Strategy switch
        {
            SearchStrategy.DiffChaser => new DiffChaserSearch(seed, image, Settings),
            SearchStrategy.Square => new SquareSearch(seed, image, Settings),
            SearchStrategy.DflareReference => new DflareReference.DflareReferenceSearch(seed, image, Settings),
            _ => new DflareSearch(seed, image, Settings),
        };
    }

    /// <summary>Searches every seed; returns the results in seed order.</summary>
    /// <param name="seeds">The seeds (read as needed).</param>
    /// <param name="onResult">Called (on the calling thread) as each seed finishes, in completion order.</param>
    /// <param name="cancellation">Stops the run between steps; unfinished seeds are left out.</param>
    /// <remarks>
    /// With two or more threads the active searches form two lanes that take turns: while one lane's batch is in the
    /// models, the other lane observes its answers and mutates its next images, so mutation overlaps inference. Each
    /// search still sees only its own answers, so results are the same with one lane or two.
    /// </remarks>
    public SearchRunResult Run(IEnumerable<Seed> seeds, Action<SeedSearchResult>? onResult = null, CancellationToken cancellation = default)
    {
        var total = Stopwatch.StartNew();
        var inference = new Stopwatch();
        int inFlight = 0;
        var inferenceLock = new object();
        long queriesBefore = _pair.Queries;
        var results = new List<(int Order, SeedSearchResult Result)>();
        using var source = seeds.GetEnumerator();
        int order = 0;
        bool more = true;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long speculatedImages = 0, speculationHits = 0;
        int laneCount = Settings.Threads >= 2 && Settings.LockStep >= 2 ? 2 : 1;
        int laneCap = (Settings.LockStep + laneCount - 1) / laneCount;
        var lanes = Enumerable.Range(0, laneCount).Select(_ => new Lane()).ToArray();
        try
        {
            while (true)
            {
                bool busy = false;
                foreach (var lane in lanes)
                {
                    if (lane.Evaluation is { } evaluation)
                    {
                        lane.Evaluation = null;
                        float[][] po, pc;
                        try { (po, pc) = evaluation.GetAwaiter().GetResult(); }
                        catch (Exception e) when (NonFiniteOutputException.In(e) is { } nf) { throw nf.ForSeed(SeedOf(lane, nf.Image)); }
                        Observe(lane, po, pc);
                        foreach (var (o, s) in lane.Active.Where(a => a.Search.IsDone))
                        {
                            results.Add((o, s.Result));
                            speculatedImages += s.SpeculatedImages;
                            speculationHits += s.SpeculationHits;
                            onResult?.Invoke(s.Result);
                        }
                        lane.Active.RemoveAll(a => a.Search.IsDone);
                    }
                    if (cancellation.IsCancellationRequested) continue;
                    while (more && lane.Active.Count < laneCap && lanes.Sum(l => l.Active.Count) < Settings.LockStep)
                    {
                        if (!source.MoveNext()) { more = false; break; }
                        if (!ids.Add(source.Current.Id)) throw new DflareException($"Seed id '{source.Current.Id}' appears twice; seed ids must be unique.");
                        lane.Active.Add((order++, Create(source.Current)));
                    }
                    if (lane.Active.Count == 0) continue;
                    busy = true;
                    var (flat, targets) = Propose(lane);
                    lock (inferenceLock) if (inFlight++ == 0) inference.Start();
                    lane.Evaluation = Task.Run(() =>
                    {
                        try { return targets is null ? Evaluate(flat) : Evaluate(flat, targets); }
                        finally { lock (inferenceLock) if (--inFlight == 0) inference.Stop(); }
                    });
                }
                if (!busy && lanes.All(l => l.Evaluation is null)) break;
            }
        }
        finally
        {
            // Never leave an evaluation running behind the caller (an exception or a cancellation got here).
            foreach (var lane in lanes)
                if (lane.Evaluation is { } e) try { e.Wait(CancellationToken.None); } catch (AggregateException) { }
        }
        foreach (var (_, s) in lanes.SelectMany(l => l.Active)) { speculatedImages += s.SpeculatedImages; speculationHits += s.SpeculationHits; }
        return new SearchRunResult
        {
            Settings = Settings,
            Seeds = results.OrderBy(r => r.Order).Select(r => r.Result).ToArray(),
            Seconds = total.Elapsed.TotalSeconds,
            ModelQueries = _pair.Queries - queriesBefore,
            InferenceSeconds = inference.Elapsed.TotalSeconds,
            SpeculatedImages = speculatedImages,
            SpeculationHits = speculationHits,
        };
    }

    /// <summary>The id of the seed whose search sent <paramref name="image"/> in the lane's last step, if any.</summary>
    private static string? SeedOf(Lane lane, Image? image)
    {
        for (int i = 0; i < lane.Active.Count; i++)
            if (lane.Proposals[i].Concat(lane.Speculated[i]).Any(p => ReferenceEquals(p, image))) return lane.Active[i].Search.Seed.Id;
        return null;
    }

    /// <summary>Searches that step together: their images go to the models as one batch.</summary>
    private sealed class Lane
    {
        public List<(int Order, SeedSearch Search)> Active { get; } = [];
        public IReadOnlyList<Image>[] Proposals { get; set; } = [];
        public IReadOnlyList<Image>[] Speculated { get; set; } = [];
        public int Real { get; set; }
        public Stopwatch Step { get; } = new();
        public Task<(float[][] Original, float[][] Compressed)>? Evaluation { get; set; }
    }

    /// <summary>Collects the lane's next images (proposals, then speculative ones in the padding) and, when any goes to one model only, every image's target.</summary>
    private (Image[] Images, QueryTarget[]? Targets) Propose(Lane lane)
    {
        lane.Step.Restart();
        var active = lane.Active;
        var proposals = new IReadOnlyList<Image>[active.Count];
        Parallel.For(0, active.Count, Options, i =>
        {
            var s = active[i].Search;
            // Proposals answered ahead of time (speculation) are observed at once; the search goes on to the next.
            IReadOnlyList<Image> p;
            do p = s.Propose(); while (p.Count > 0 && s.AnswerFromSpeculation());
            proposals[i] = p;
        });
        lane.Proposals = proposals;
        lane.Real = proposals.Sum(p => p.Count);
        lane.Speculated = Speculate(active.Select(a => a.Search).ToArray(), proposals, lane.Real);
        var images = proposals.Concat(lane.Speculated).SelectMany(p => p).ToArray();
        if (active.All(a => a.Search.Targets is null)) return (images, null);
        // Single-model probes: each proposal carries its targets; speculative images always go to both models.
        var targets = new QueryTarget[images.Length];
        int k = 0;
        for (int i = 0; i < active.Count; i++)
        {
            var t = active[i].Search.Targets;
            for (int j = 0; j < proposals[i].Count; j++) targets[k++] = t?[j] ?? QueryTarget.Both;
        }
        // The rest (speculative images) stay QueryTarget.Both (the enum's default).
        return (images, targets);
    }

    /// <summary>Hands the lane's answers to its searches and attributes the step's wall time to them.</summary>
    private void Observe(Lane lane, float[][] po, float[][] pc)
    {
        var active = lane.Active;
        var proposals = lane.Proposals;
        var speculated = lane.Speculated;
        var starts = new int[2 * active.Count];
        for (int i = 1; i < starts.Length; i++)
            starts[i] = starts[i - 1] + (i - 1 < active.Count ? proposals[i - 1] : speculated[i - 1 - active.Count]).Count;
        Parallel.For(0, active.Count, Options, i =>
        {
            var s = active[i].Search;
            if (speculated[i].Count > 0)
            {
                int k = starts[active.Count + i], m = speculated[i].Count;
                s.ObserveSpeculative(new ArraySegment<float[]>(po, k, m), new ArraySegment<float[]>(pc, k, m));
            }
            if (proposals[i].Count == 0) return;
            int start = starts[i], n = proposals[i].Count;
            s.Observe(new ArraySegment<float[]>(po, start, n), new ArraySegment<float[]>(pc, start, n));
        });
        // Attribute the step's wall time to the searches in proportion to the images they sent.
        double seconds = lane.Step.Elapsed.TotalSeconds;
        for (int i = 0; i < active.Count; i++)
            active[i].Search.AddSeconds(lane.Real == 0 ? 0 : seconds * proposals[i].Count / lane.Real);
    }

    private ParallelOptions Options => _options ??= new() { MaxDegreeOfParallelism = Settings.Threads };
    private ParallelOptions? _options;

    /// <summary>
    /// Fills the padding of the last fixed-size batch with speculative images (see <see cref="SeedSearch.Speculate"/>),
    /// handing the free slots out round-robin over the searches with a pending proposal. Dynamic-batch pairs have no
    /// padding and get none.
    /// </summary>
    private IReadOnlyList<Image>[] Speculate(SeedSearch[] searches, IReadOnlyList<Image>[] proposals, int real)
    {
        var made = new List<Image>[searches.Length];
        for (int i = 0; i < made.Length; i++) made[i] = [];
        if (!Settings.Speculate || real == 0 || FixedChunk() is not { } chunk) return made;
        int free = (chunk - real % chunk) % chunk;
        var open = Enumerable.Range(0, searches.Length).Where(i => proposals[i].Count > 0).ToList();
        // Round-robin rounds: a search that cannot speculate more (budget, give-up) drops out and its share goes on.
        while (free > 0 && open.Count > 0)
        {
            var quota = new int[open.Count];
            for (int j = 0; j < open.Count; j++) quota[j] = free / open.Count + (j < free % open.Count ? 1 : 0);
            var got = new IReadOnlyList<Image>[open.Count];
            Parallel.For(0, open.Count, Options, j => got[j] = quota[j] == 0 ? [] : searches[open[j]].Speculate(quota[j]));
            var still = new List<int>();
            int total = 0;
            for (int j = 0; j < open.Count; j++)
            {
                made[open[j]].AddRange(got[j]);
                total += got[j].Count;
                if (got[j].Count == quota[j]) still.Add(open[j]);
            }
            if (total == 0) break;
            free -= total;
            open = still;
        }
        return made;
    }

    /// <summary>The batch size every chunk is a multiple of when both models have a fixed batch, else null.</summary>
    private int? FixedChunk() =>
        _pair.Original.Info.FixedBatch is { } a && _pair.Compressed.Info.FixedBatch is { } b ? Lcm(a, b) : null;

    /// <summary>Evaluates images on both models in model-sized batches, <see cref="SearchSettings.Threads"/> batches at a time.</summary>
    private (float[][] Original, float[][] Compressed) Evaluate(Image[] images)
    {
        var po = new float[images.Length][];
        var pc = new float[images.Length][];
        if (images.Length == 0) return (po, pc);
        int chunk = Math.Max(1, Math.Min(_pair.Original.Info.MaxBatch, _pair.Compressed.Info.MaxBatch));
        // Keep chunks whole multiples of both fixed batches so only the last chunk is padded.
        if (FixedChunk() is { } fixedChunk) chunk = fixedChunk;
        // Dynamic batches: spread the images over the threads. Two callers with half batches beat one caller with the
        // whole batch on small models (benchmarks/results/ceiling.md); an image's output does not depend on its batch.
        else if (_pair.Original.Info.FixedBatch is null && _pair.Compressed.Info.FixedBatch is null)
            chunk = Math.Max(1, Math.Min(chunk, (images.Length + Settings.Threads - 1) / Settings.Threads));
        int chunks = (images.Length + chunk - 1) / chunk;
        // One work item per chunk and model, so that an odd number of chunks still keeps every thread busy.
        Parallel.For(0, 2 * chunks, Options, item =>
        {
            int k = item / 2, start = k * chunk, n = Math.Min(chunk, images.Length - start);
            var part = new ArraySegment<Image>(images, start, n);
            var (model, into) = item % 2 == 0 ? (_pair.Original, po) : (_pair.Compressed, pc);
            var answers = model.Predict(part);
            for (int i = 0; i < n; i++) into[start + i] = answers[i];
        });
        return (po, pc);
    }

    private static readonly float[] NotAsked = [];

    /// <summary>
    /// Evaluates each image only on the model(s) its target names (a model not asked answers with an empty vector), each
    /// model's images in its own model-sized batches (full batches for a fixed-batch model), the two models' batches
    /// side by side on <see cref="SearchSettings.Threads"/> threads.
    /// </summary>
    private (float[][] Original, float[][] Compressed) Evaluate(Image[] images, QueryTarget[] targets)
    {
        var po = new float[images.Length][];
        var pc = new float[images.Length][];
        var toOriginal = new List<int>();
        var toCompressed = new List<int>();
        for (int i = 0; i < images.Length; i++)
        {
            if (targets[i].HasOriginal()) toOriginal.Add(i); else po[i] = NotAsked;
            if (targets[i].HasCompressed()) toCompressed.Add(i); else pc[i] = NotAsked;
        }
        var work = new List<(OnnxClassifier Model, float[][] Into, int[] Indices)>();
        foreach (var (model, into, list) in new[] { (_pair.Original, po, toOriginal), (_pair.Compressed, pc, toCompressed) })
        {
            if (list.Count == 0) continue;
            int chunk = model.Info.FixedBatch ?? Math.Max(1, Math.Min(model.Info.MaxBatch, (list.Count + Settings.Threads - 1) / Settings.Threads));
            for (int start = 0; start < list.Count; start += chunk)
                work.Add((model, into, list.GetRange(start, Math.Min(chunk, list.Count - start)).ToArray()));
        }
        Parallel.For(0, work.Count, Options, w =>
        {
            var (model, into, indices) = work[w];
            var answers = model.Predict(indices.Select(i => images[i]).ToArray());
            for (int i = 0; i < indices.Length; i++) into[indices[i]] = answers[i];
        });
        return (po, pc);
    }

    private static int Lcm(int a, int b)
    {
        static int Gcd(int x, int y) => y == 0 ? x : Gcd(y, x % y);
        return a / Gcd(a, b) * b;
    }
}
