using System.Text.Json.Nodes;
using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search;
using Dflare.Search.Random;
using Dflare.Search.Square;

namespace Dflare.Tests.Search;

/// <summary>
/// The <c>square</c> strategy: its boundary bisection and query accounting driven with hand-built "models" (thresholds
/// on the sum of the pixel values, so every boundary is known exactly), and its determinism, query accounting and
/// shrinking on the real pairs.
/// </summary>
public sealed class SquareSearchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A two-class model: class 1 exactly when the sum of the values reaches <paramref name="threshold"/>.</summary>
    private sealed class SumModel(long threshold, double sharpness = 0.01)
    {
        public long Threshold { get; } = threshold;
        public int Calls { get; private set; }

        public float[] Answer(Image image)
        {
            Calls++;
            double z = (Sum(image) - Threshold + 0.5) * sharpness; // never exactly 0: the sums are integers
            float p1 = (float)(1 / (1 + Math.Exp(-z)));
            return [1 - p1, p1];
        }
    }

    private static long Sum(Image image) => image.Pixels.Sum(p => (long)p);

    private static Seed GreySeed(string id = "g", int w = 12, int h = 12, int c = 1)
    {
        var rng = new Rng(7);
        var img = new Image(w, h, c);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(80 + rng.NextInt(60));
        return new Seed(id, 0, img, 0);
    }

    /// <summary>Drives a search to its end, answering each image only on the model(s) it was sent to.</summary>
    private static SeedSearchResult Drive(SeedSearch s, SumModel original, SumModel compressed, List<QueryTarget>? log = null)
    {
        while (s.Propose() is { Count: > 0 } images)
        {
            var targets = s.Targets;
            var po = new float[images.Count][];
            var pc = new float[images.Count][];
            for (int i = 0; i < images.Count; i++)
            {
                var t = targets?[i] ?? QueryTarget.Both;
                log?.Add(t);
                po[i] = t.HasOriginal() ? original.Answer(images[i]) : [];
                pc[i] = t.HasCompressed() ? compressed.Answer(images[i]) : [];
            }
            s.Observe(po, pc);
        }
        return s.Result;
    }

    private static SearchSettings Square(int eps, long budget = 400, double shrink = 0) => new()
    {
        Strategy = SearchStrategy.Square, Budget = budget, Bound = new DistortionBound { MaxLInf = eps }, ShrinkFraction = shrink,
    };

    [Fact]
    public void When_the_compressed_boundary_lies_further_out_the_trigger_is_the_first_image_past_the_originals_boundary()
    {
        var seed = GreySeed();
        long s0 = Sum(seed.Image);
        var original = new SumModel(s0 + 300);
        var compressed = new SumModel(s0 + 1000);
        var log = new List<QueryTarget>();
        var r = Drive(new SquareSearch(seed, seed.Image, Square(eps: 16)), original, compressed, log);

        r.Status.Should().Be(SearchStatus.Triggered);
        Sum(r.Trigger!).Should().Be(original.Threshold, "bisection ends one grey level apart on the original's boundary; the upper end is the trigger");
        (r.OriginalLabel, r.CompressedLabel).Should().Be((1, 0));
        r.LInf.Should().BeLessThanOrEqualTo(16);
        log.Count(t => t == QueryTarget.Compressed).Should().Be(2, "the compressed model is asked only at the two ends of the one crossing");
        log.Should().HaveElementAt(0, QueryTarget.Both, "the seed is checked on both models");
        r.Queries.Should().Be(original.Calls + compressed.Calls, "every query is charged to the model it went to");
        r.OriginalQueries.Should().Be(original.Calls);
    }

    [Fact]
    public void When_the_compressed_boundary_lies_nearer_the_trigger_is_the_last_image_the_original_still_labels_like_the_seed()
    {
        var seed = GreySeed();
        long s0 = Sum(seed.Image);
        var original = new SumModel(s0 + 600);
        var compressed = new SumModel(s0 + 200);
        var r = Drive(new SquareSearch(seed, seed.Image, Square(eps: 16)), original, compressed);

        r.Status.Should().Be(SearchStatus.Triggered);
        Sum(r.Trigger!).Should().Be(original.Threshold - 1);
        (r.OriginalLabel, r.CompressedLabel).Should().Be((0, 1));
        compressed.Calls.Should().Be(2, "the seed, then the lower end, which already deviates");
        r.Queries.Should().Be(original.Calls + compressed.Calls);
    }

    [Fact]
    public void With_identical_boundaries_both_models_flip_together_at_every_crossing_and_the_search_goes_on_until_the_budget_is_spent()
    {
        var seed = GreySeed();
        long s0 = Sum(seed.Image);
        var original = new SumModel(s0 + 300);
        var compressed = new SumModel(s0 + 300);
        var search = new SquareSearch(seed, seed.Image, Square(eps: 16, budget: 300));
        var r = Drive(search, original, compressed);

        r.Status.Should().Be(SearchStatus.NotFound);
        r.StopReason.Should().Be("budget spent");
        search.Crossings.Should().BeGreaterThan(3, "after both models flip the attack resumes just inside the boundary and crosses again");
        r.Queries.Should().Be(300, "single-model probes use the budget to the last query");
        r.Queries.Should().Be(original.Calls + compressed.Calls);
        (compressed.Calls - 1).Should().Be(2 * search.Crossings, "two compressed queries per crossing, plus the seed's");
    }

    private static SearchSettings TowardCompressed(int eps, long budget = 400, double shrink = 0) =>
        Square(eps, budget, shrink) with { Square = new SquareSettings { Toward = SquareToward.Compressed } };

    [Fact]
    public void Toward_the_compressed_boundary_the_compressed_model_is_walked_and_bisected_and_the_original_asked_only_at_the_ends()
    {
        var seed = GreySeed();
        long s0 = Sum(seed.Image);
        var original = new SumModel(s0 + 600);
        var compressed = new SumModel(s0 + 200);
        var log = new List<QueryTarget>();
        var search = new SquareSearch(seed, seed.Image, TowardCompressed(eps: 16));
        search.WalksCompressed.Should().BeTrue();
        var r = Drive(search, original, compressed, log);

        r.Status.Should().Be(SearchStatus.Triggered);
        Sum(r.Trigger!).Should().Be(compressed.Threshold, "bisection ends one grey level apart on the compressed model's boundary; the upper end is the trigger");
        (r.OriginalLabel, r.CompressedLabel).Should().Be((0, 1));
        log.Should().HaveElementAt(0, QueryTarget.Both, "the seed is checked on both models");
        log.Count(t => t == QueryTarget.Original).Should().Be(2, "the original is asked only at the two ends of the one crossing");
        r.Queries.Should().Be(original.Calls + compressed.Calls, "every query is charged to the model it went to");
        r.OriginalQueries.Should().Be(original.Calls).And.Be(3);
        search.Crossings.Should().Be(1);
        Deviation.Judge(original.Answer(r.Trigger!), compressed.Answer(r.Trigger!)).Should().Be(Verdict.Deviate);
    }

    [Fact]
    public void Toward_the_compressed_boundary_a_nearer_original_boundary_gives_the_last_image_the_compressed_model_labels_like_the_seed()
    {
        var seed = GreySeed();
        long s0 = Sum(seed.Image);
        var original = new SumModel(s0 + 300);
        var compressed = new SumModel(s0 + 1000);
        var r = Drive(new SquareSearch(seed, seed.Image, TowardCompressed(eps: 16)), original, compressed);

        r.Status.Should().Be(SearchStatus.Triggered);
        Sum(r.Trigger!).Should().Be(compressed.Threshold - 1);
        (r.OriginalLabel, r.CompressedLabel).Should().Be((1, 0));
        original.Calls.Should().Be(2, "the seed, then the lower end, which already deviates");
        r.Queries.Should().Be(original.Calls + compressed.Calls);
        r.OriginalQueries.Should().Be(2);
    }

    [Fact]
    public void Toward_the_compressed_boundary_is_refused_with_the_confident_objective_and_ignored_by_confident_searches_inside_other_strategies()
    {
        var confident = () => (TowardCompressed(eps: 16) with { MinMargin = 0.1 }).Validate();
        var e = confident.Should().Throw<SettingException>().Which;
        e.Settings.Should().Equal("Square.Toward", "Square.Objective", "MinMargin");
        e.Message.Should().StartWith("Square.Toward must be original with the confident objective");
        (TowardCompressed(eps: 16) with { MinMargin = 0.1, Square = new SquareSettings { Toward = SquareToward.Compressed, Objective = SquareObjective.Boundary } })
            .Validate();
        (TowardCompressed(eps: 16) with { MinMargin = 0.1, Strategy = SearchStrategy.Dflare }).Validate();
        var seed = GreySeed();
        new SquareSearch(seed, seed.Image, TowardCompressed(eps: 16) with { MinMargin = 0.1 }).WalksCompressed.Should().BeFalse();
        new SearchSettings().Square.Toward.Should().Be(SquareToward.Original);
        SquareSettings.ParseToward(" Compressed ").Should().Be(SquareToward.Compressed);
        var bad = () => SquareSettings.ParseToward("both");
        bad.Should().Throw<DflareException>().WithMessage("*'both'*original or compressed*");
    }

    [Fact]
    public void The_confident_objective_queries_both_models_and_stops_only_where_both_margins_reach_the_minimum()
    {
        var seed = GreySeed();
        long s0 = Sum(seed.Image);
        // Deviations lie between the two thresholds; confident ones need both models 0.2 away from a tie.
        var original = new SumModel(s0 + 900, sharpness: 0.02);
        var compressed = new SumModel(s0 + 300, sharpness: 0.02);
        var settings = Square(eps: 16, budget: 2000) with { MinMargin = 0.2 };
        var search = new SquareSearch(seed, seed.Image, settings);
        search.Confident.Should().BeTrue("a minimum margin makes the auto objective confident");
        var log = new List<QueryTarget>();
        var r = Drive(search, original, compressed, log);

        r.Status.Should().Be(SearchStatus.Triggered);
        log.Should().OnlyContain(t => t == QueryTarget.Both);
        Deviation.Judge(r.OriginalProbabilities, r.CompressedProbabilities, 0.2).Should().Be(Verdict.Deviate);
        Labels.TopMargin(r.OriginalProbabilities!).Should().BeGreaterThanOrEqualTo(0.2f);
        Labels.TopMargin(r.CompressedProbabilities!).Should().BeGreaterThanOrEqualTo(0.2f);
        r.Queries.Should().Be(original.Calls + compressed.Calls).And.Be(2L * original.Calls);
    }

    [Fact]
    public void The_confident_loss_is_zero_exactly_on_confident_deviations()
    {
        SquareSearch.ConfidentLoss([0.7f, 0.2f, 0.1f], [0.1f, 0.7f, 0.2f], y: 0, m: 0.1).Should().Be(0);
        SquareSearch.ConfidentLoss([0.7f, 0.2f, 0.1f], [0.1f, 0.45f, 0.45f], y: 0, m: 0.1).Should().BeGreaterThan(0, "the compressed model's top-1 is a tie");
        SquareSearch.ConfidentLoss([0.5f, 0.45f, 0.05f], [0.1f, 0.8f, 0.1f], y: 0, m: 0.1).Should().BeApproximately(0.05, 1e-6);
        SquareSearch.BoundaryLoss([0.5f, 0.25f, 0.25f], y: 0).Should().BeApproximately(Math.Log(2), 1e-6);
    }

    private static string Json(SearchRunResult r) =>
        SearchIntegrationTests.WithoutTimings(SearchReport.ToJson(r, new SearchReportContext())["seeds"]!);

    [Theory]
    [InlineData(false, 8, SquareToward.Original)]
    [InlineData(true, 32, SquareToward.Original)]
    [InlineData(false, 8, SquareToward.Compressed)]
    public void Square_gives_the_same_results_one_seed_at_a_time_on_one_thread_as_lock_step_on_two_threads_on_resnet8(bool confident, int eps, SquareToward toward)
    {
        var pair = SearchTestData.Resnet8Pair();
        var seeds = SearchTestData.Cifar().Load(30, 5);
        var settings = Square(eps, budget: 300, shrink: 0.1) with
        {
            RunSeed = 2, MinMargin = confident ? 0.05 : 0, Square = new SquareSettings { Toward = toward },
        };
        var single = seeds.Select(s => new SearchRunner(pair, settings with { LockStep = 1, Threads = 1 }).Run([s], cancellation: Ct).Seeds.Single()).ToArray();
        var batched = new SearchRunner(pair, settings with { LockStep = 3, Threads = 2 }).Run(seeds, cancellation: Ct);
        Json(batched).Should().Be(Json(new SearchRunResult { Settings = settings, Seeds = single }));
        batched.Triggered.Should().BeGreaterThan(0, "the comparison must cover triggering inputs");
    }

    [Theory]
    [InlineData("resnet8", 8, SquareToward.Original)]
    [InlineData("mnist", 64, SquareToward.Original)]
    [InlineData("resnet8", 8, SquareToward.Compressed)]
    public void Every_query_is_charged_to_the_model_it_went_to_as_the_classifiers_count_them(string which, int eps, SquareToward toward)
    {
        // A fresh pair: its classifiers have counted nothing yet.
        var pair = which == "mnist" ? SearchTestData.MnistPair() : SearchTestData.Resnet8Pair();
        var seeds = which == "mnist" ? SearchTestData.Mnist().Load(0, 6) : SearchTestData.Cifar().Load(0, 6);
        var settings = Square(eps, budget: 200, shrink: 0.1) with { Square = new SquareSettings { Toward = toward } };
        var r = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);

        r.Seeds.Should().Contain(s => s.Status == SearchStatus.Triggered && s.ShrinkQueries > 0, "shrinking queries must be covered too");
        long original = r.Seeds.Sum(s => s.OriginalQueries + s.ShrinkQueries / 2);
        long compressed = r.Seeds.Sum(s => s.Queries - s.OriginalQueries + s.ShrinkQueries / 2);
        pair.Original.Queries.Should().Be(original);
        pair.Compressed.Queries.Should().Be(compressed);
        if (toward == SquareToward.Original) compressed.Should().BeLessThan(original / 3, "the boundary objective asks the compressed model only at bisection ends");
        else original.Should().BeLessThan(compressed / 3, "toward the compressed model's boundary the original is asked only at bisection ends");
        r.TotalQueries.Should().Be(r.ModelQueries);
        r.Seeds.Should().OnlyContain(s => s.Queries <= 200 && s.ShrinkQueries <= 20);
    }

    [Fact]
    public void Shrinking_keeps_the_deviation_and_moves_dflare_triggers_toward_their_seeds()
    {
        var pair = SearchTestData.MnistPair();
        var seeds = SearchTestData.Mnist().Load(200, 8);
        var settings = new SearchSettings { Budget = 1000, RunSeed = 3, ShrinkFraction = 0.2 };
        var r = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);
        var unshrunk = new SearchRunner(pair, settings with { ShrinkFraction = 0 }).Run(seeds, cancellation: Ct);

        var triggered = r.Seeds.Where(s => s.Status == SearchStatus.Triggered).ToArray();
        triggered.Should().HaveCountGreaterThanOrEqualTo(4);
        foreach (var s in triggered)
        {
            var (po, pc) = pair.Predict([s.Trigger!]);
            Deviation.Judge(po[0], pc[0]).Should().Be(Verdict.Deviate, $"seed {s.SeedId}'s shrunk input still deviates");
            po[0].Should().Equal(s.OriginalProbabilities);
            pc[0].Should().Equal(s.CompressedProbabilities);
            var before = unshrunk.Seeds.Single(u => u.SeedId == s.SeedId);
            s.FoundTrigger.Should().Be(before.Trigger, "shrinking starts from what the search found, which it does not change");
            s.Queries.Should().Be(before.Queries, "shrinking is charged separately");
            s.Shrink!.LInfBefore.Should().Be(before.LInf);
            s.L2.Should().BeLessThanOrEqualTo(s.Shrink.L2Before, "every shrink step moves each value toward the seed");
            s.LInf.Should().BeLessThanOrEqualTo(s.Shrink.LInfBefore);
            s.ShrinkQueries.Should().BeLessThanOrEqualTo(200).And.BeGreaterThanOrEqualTo(2L * s.Shrink.Probes);
        }
        triggered.Average(s => s.Ssim!.Value).Should().BeGreaterThan(triggered.Average(s => s.Shrink!.SsimBefore) + 0.05, "shrinking makes the inputs look like their seeds again");
    }

    [Fact]
    public void Toward_the_compressed_boundary_is_the_original_side_walk_on_the_pair_with_its_roles_swapped_and_every_trigger_deviates()
    {
        // With no minimum margin the verdict does not depend on which model is called the original, so walking toward the
        // compressed model's boundary must make exactly the choices the default makes on the swapped pair.
        var pair = SearchTestData.Resnet8Pair();
        var swapped = new ModelPair(pair.Compressed, pair.Original);
        var seeds = SearchTestData.Cifar().Load(40, 6);
        var toward = new SearchRunner(pair, TowardCompressed(eps: 16, budget: 300, shrink: 0.1) with { RunSeed = 4 }).Run(seeds, cancellation: Ct);
        var mirror = new SearchRunner(swapped, Square(eps: 16, budget: 300, shrink: 0.1) with { RunSeed = 4 }).Run(seeds, cancellation: Ct);

        toward.Triggered.Should().BeGreaterThan(3, "the comparison must cover triggering inputs");
        foreach (var (a, b) in toward.Seeds.Zip(mirror.Seeds))
        {
            (a.SeedId, a.Status, a.Queries, a.Iterations, a.ShrinkQueries).Should().Be((b.SeedId, b.Status, b.Queries, b.Iterations, b.ShrinkQueries));
            a.OriginalQueries.Should().Be(b.Queries - b.OriginalQueries, "the queries each model answered trade places");
            if (a.Status != SearchStatus.Triggered) continue;
            a.Trigger!.Pixels.Should().Equal(b.Trigger!.Pixels);
            a.OriginalProbabilities.Should().Equal(b.CompressedProbabilities);
            var (po, pc) = pair.Predict([a.Trigger!]);
            Deviation.Judge(po[0], pc[0]).Should().Be(Verdict.Deviate, $"seed {a.SeedId}'s trigger deviates when the pair is asked again");
            po[0].Should().Equal(a.OriginalProbabilities);
            pc[0].Should().Equal(a.CompressedProbabilities);
            a.LInf.Should().BeLessThanOrEqualTo(16);
        }
    }

    [Fact]
    public void Toward_the_compressed_boundary_with_a_minimum_margin_every_trigger_passes_the_same_confident_rule()
    {
        var pair = SearchTestData.Resnet8Pair();
        var seeds = SearchTestData.Cifar().Load(60, 8);
        var settings = Square(eps: 16, budget: 400) with
        {
            RunSeed = 1, MinMargin = 0.05, Square = new SquareSettings { Objective = SquareObjective.Boundary, Toward = SquareToward.Compressed },
        };
        var r = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);

        r.Triggered.Should().BeGreaterThan(0);
        foreach (var s in r.Seeds.Where(s => s.Status == SearchStatus.Triggered))
        {
            var (po, pc) = pair.Predict([s.Trigger!]);
            Deviation.Judge(po[0], pc[0], 0.05, s.SeedOriginalLabel).Should().Be(Verdict.Deviate, $"seed {s.SeedId}: both margins ≥ 0.05 and the original keeps its seed label");
            s.OriginalLabel.Should().Be(s.SeedOriginalLabel);
        }
    }

    [Fact]
    public void Toward_the_compressed_boundary_finds_a_deviation_on_a_pruned_mnist_8_that_the_original_side_walk_misses()
    {
        // The reach benchmark's find on mnist-8 pruned 50 % (dflare compress --method prune:0.5), test digit 18, L∞ ≤ 8: the
        // original-side walk missed it at 20,000 queries; toward the pruned model's boundary it takes a few hundred.
        var path = SharedData.Require("models/mnist/mnist-8.onnx");
        var (model, _) = Dflare.Compression.Compressor.Compress(Dflare.Onnx.OnnxModel.Load(path), Dflare.Compression.CompressionMethod.Parse("prune:0.5"));
        var pair = new ModelPair(OnnxClassifier.Load(path), OnnxClassifier.FromBytes(model.ToBytes(), "mnist-8 prune:0.5"));
        var seed = SearchTestData.Mnist().Load(18, 1);
        foreach (ulong runSeed in new ulong[] { 1, 2, 3 })
        {
            var settings = Square(eps: 8, budget: 1000) with { RunSeed = runSeed };
            var original = new SearchRunner(pair, settings).Run(seed, cancellation: Ct).Seeds.Single();
            var toward = new SearchRunner(pair, settings with { Square = new SquareSettings { Toward = SquareToward.Compressed } }).Run(seed, cancellation: Ct).Seeds.Single();

            original.Status.Should().Be(SearchStatus.NotFound, $"run seed {runSeed}: the original's boundary is not where the pruned model's is");
            toward.Status.Should().Be(SearchStatus.Triggered, $"run seed {runSeed}");
            toward.LInf.Should().BeLessThanOrEqualTo(8);
            var (po, pc) = pair.Predict([toward.Trigger!]);
            Deviation.Judge(po[0], pc[0]).Should().Be(Verdict.Deviate);
            toward.OriginalQueries.Should().BeLessThan(10, "the original is asked at the seed and at the ends of a crossing only");
        }
    }
}
