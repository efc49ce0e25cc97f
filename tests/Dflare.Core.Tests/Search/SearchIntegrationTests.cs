using System.Text.Json.Nodes;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Search;
using Dflare.Search.DflareStrategy;

namespace Dflare.Tests.Search;

/// <summary>Searches on the real model pairs in ../shared, on small slices.</summary>
public sealed class SearchIntegrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The results JSON without the wall-time fields (the only non-deterministic ones).</summary>
    internal static string WithoutTimings(JsonNode node)
    {
        var copy = node.DeepClone();
        void Strip(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                o.Remove("seconds");
                foreach (var kv in o.ToArray()) Strip(kv.Value);
            }
            else if (n is JsonArray a) foreach (var x in a) Strip(x);
        }
        Strip(copy);
        return copy.ToJsonString();
    }

    private static string Json(SearchRunResult r) => WithoutTimings(SearchReport.ToJson(r, new SearchReportContext())["seeds"]!);

    [Fact]
    public void Two_runs_with_the_same_run_seed_give_identical_results_on_resnet8_and_another_run_seed_does_not()
    {
        var pair = SearchTestData.Resnet8Pair();
        var seeds = SearchTestData.Cifar().Load(0, 5);
        var settings = new SearchSettings { Budget = 300, RunSeed = 11 };

        var a = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);
        var b = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);
        var c = new SearchRunner(pair, settings with { RunSeed = 12 }).Run(seeds, cancellation: Ct);

        a.Triggered.Should().BeGreaterThan(0, "the int8 resnet8 deviates under mutation within a few hundred queries");
        WithoutTimings(SearchReport.ToJson(a, new SearchReportContext())).Should().Be(WithoutTimings(SearchReport.ToJson(b, new SearchReportContext())));
        Json(c).Should().NotBe(Json(a), "the run seed drives every random choice");
        foreach (var s in a.Seeds.Where(s => s.Trigger is not null))
            b.Seeds.Single(x => x.SeedId == s.SeedId).Trigger.Should().Be(s.Trigger, "bit for bit");
    }

    [Theory]
    [InlineData(SearchStrategy.Dflare)]
    [InlineData(SearchStrategy.DiffChaser)]
    public void Single_seed_runs_on_one_thread_equal_a_lock_step_multi_threaded_run_on_resnet8_with_fixed_batch_16(SearchStrategy strategy)
    {
        var pair = SearchTestData.Resnet8Pair();
        var seeds = SearchTestData.Cifar().Load(20, 4);
        var settings = new SearchSettings { Strategy = strategy, Budget = 200, RunSeed = 3 };

        var single = seeds.Select(s => new SearchRunner(pair, settings with { LockStep = 1, Threads = 1 }).Run([s], cancellation: Ct).Seeds.Single()).ToArray();
        var batched = new SearchRunner(pair, settings with { LockStep = 4, Threads = 2 }).Run(seeds, cancellation: Ct);

        var one = new SearchRunResult { Settings = settings, Seeds = single };
        Json(batched).Should().Be(Json(one));
        batched.Seeds.Select(s => s.Queries).Should().OnlyContain(q => q <= 200);
        batched.Triggered.Should().BeGreaterThan(0, "the comparison must cover triggering inputs too");
    }

    [Fact]
    public void Speculation_in_the_padding_of_fixed_batches_changes_no_result_and_answers_queries_ahead_on_resnet8()
    {
        var pair = SearchTestData.Resnet8Pair();
        var seeds = SearchTestData.Cifar().Load(40, 12);
        // Unbounded; with an SSIM bound that rejects some mutants unevaluated (the speculation must skip them alike); and
        // with a bound so tight that searches give up after a few unevaluated mutants in a row (so must the speculation).
        foreach (var (bound, giveUp) in new[] { (DistortionBound.None, 1000), (new DistortionBound { MaxLInf = 24, MinSsim = 0.9 }, 1000), (new DistortionBound { MinSsim = 0.97 }, 4) })
        {
            var settings = new SearchSettings { Budget = 300, RunSeed = 5, Bound = bound, MaxUnevaluatedInARow = giveUp };
            var plain = new SearchRunner(pair, settings with { LockStep = 5, Threads = 2, Speculate = false }).Run(seeds, cancellation: Ct);
            var ahead = new SearchRunner(pair, settings with { LockStep = 5, Threads = 2 }).Run(seeds, cancellation: Ct);
            long before = pair.Original.Runs;
            var single = seeds.Select(s => new SearchRunner(pair, settings with { LockStep = 1, Threads = 1 }).Run([s], cancellation: Ct)).ToArray();
            long runsAhead = pair.Original.Runs - before;
            before = pair.Original.Runs;
            var singlePlain = seeds.Select(s => new SearchRunner(pair, settings with { LockStep = 1, Threads = 1, Speculate = false }).Run([s], cancellation: Ct)).ToArray();
            long runsPlain = pair.Original.Runs - before;

            plain.SpeculatedImages.Should().Be(0);
            ahead.SpeculationHits.Should().BeGreaterThan(0, $"padding slots answer later queries ({bound})");
            single.Sum(r => r.SpeculationHits).Should().BeGreaterThan(0);
            ahead.SpeculatedImages.Should().BeGreaterThanOrEqualTo(ahead.SpeculationHits);
            Json(ahead).Should().Be(Json(plain), $"speculation must not change results ({bound})");
            Json(new SearchRunResult { Settings = settings, Seeds = single.Select(r => r.Seeds.Single()).ToArray() }).Should().Be(Json(plain));
            foreach (var s in plain.Seeds.Where(s => s.Trigger is not null))
                ahead.Seeds.Single(x => x.SeedId == s.SeedId).Trigger.Should().Be(s.Trigger, "bit for bit");
            if (giveUp < 1000) plain.Seeds.Should().Contain(s => s.StopReason.Contains("in a row"), "the tight bound makes searches give up");
            else plain.Triggered.Should().BeGreaterThan(0, "the comparison must cover triggering inputs too");
            Json(new SearchRunResult { Settings = settings, Seeds = singlePlain.Select(r => r.Seeds.Single()).ToArray() }).Should().Be(Json(plain));
            // One chain alone fills 15 of every 16 slots of a batch ahead. With DFlare's either-direction acceptance most
            // mutants on resnet8 are kept, and speculation follows the kept branch then: it saves about 40 % of the model
            // runs here (speculating only on rejections saved 3 %).
            runsAhead.Should().BeLessThan(runsPlain * 4 / 5, $"one chain with speculation runs the model fewer times ({runsAhead} vs {runsPlain} batches)");
        }
    }

    [Fact]
    public void Lock_step_equals_single_seed_runs_on_the_mnist_pair_with_a_dynamic_batch_model()
    {
        var pair = SearchTestData.MnistPair();
        var seeds = SearchTestData.Mnist().Load(0, 8);
        var settings = new SearchSettings { Budget = 300, RunSeed = 4 };
        var single = seeds.Select(s => new SearchRunner(pair, settings with { LockStep = 1, Threads = 1 }).Run([s], cancellation: Ct).Seeds.Single()).ToArray();
        var batched = new SearchRunner(pair, settings with { LockStep = 3, Threads = 2 }).Run(seeds, cancellation: Ct);
        Json(batched).Should().Be(Json(new SearchRunResult { Settings = settings, Seeds = single }));
        batched.Triggered.Should().BeGreaterThan(0, "the comparison must cover triggering inputs too");
    }

    [Fact]
    public void Cifar_seed_178_on_which_resnet8_and_its_int8_copy_already_disagree_is_reported_and_not_searched()
    {
        var pair = SearchTestData.Resnet8Pair();
        var seeds = SearchTestData.Cifar().Load(177, 3); // 177, 178, 179
        var r = new SearchRunner(pair, new SearchSettings { Budget = 100 }).Run(seeds, cancellation: Ct);

        var s178 = r.Seeds.Single(s => s.SeedId == "178");
        s178.Status.Should().Be(SearchStatus.AlreadyDeviating);
        s178.Queries.Should().Be(2);
        s178.Iterations.Should().Be(0);
        s178.OriginalLabel.Should().NotBe(s178.CompressedLabel);
        (s178.OriginalLabel, s178.CompressedLabel).Should().Be((5, 3), "the float model says dog, the int8 model cat");
        r.Seeds.Where(s => s.SeedId != "178").Should().OnlyContain(s => s.Status != SearchStatus.AlreadyDeviating);
        r.AlreadyDeviating.Should().Be(1);
    }

    [Fact]
    public void DFlare_finds_triggering_inputs_on_the_mnist_pair_that_really_make_the_models_disagree_and_replay_bit_for_bit()
    {
        var pair = SearchTestData.MnistPair();
        var seeds = SearchTestData.Mnist().Load(100, 10);
        var settings = new SearchSettings { Budget = 1000, RunSeed = 1 };
        var r = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);

        r.Triggered.Should().BeGreaterThanOrEqualTo(7, "two different MNIST models disagree easily under mutation");
        foreach (var s in r.Seeds.Where(s => s.Status == SearchStatus.Triggered))
        {
            var (po, pc) = pair.Predict([s.Trigger!]);
            Labels.ArgMax(po[0]).Should().Be(s.OriginalLabel);
            Labels.ArgMax(pc[0]).Should().Be(s.CompressedLabel);
            s.OriginalLabel.Should().NotBe(s.CompressedLabel);
            Labels.HasTopTie(po[0]).Should().BeFalse();
            Labels.HasTopTie(pc[0]).Should().BeFalse();
            po[0].Should().Equal(s.OriginalProbabilities);
            s.Queries.Should().BeLessThanOrEqualTo(1000).And.Be(2 + 2L * s.Iterations);
            s.Mutations.Should().NotBeEmpty();
            DflareSearch.Replay(s.SeedImage, s.SeedId, s.Mutations, settings).Should().Be(s.FoundTrigger, $"seed {s.SeedId} replays from its mutations (the input as found, before shrinking)");
            s.OperatorStats.Sum(o => o.Successes).Should().Be(s.Mutations.Count);
            s.LInf.Should().Be(Distances.LInf(s.Trigger!, s.SeedImage));
        }
        r.TotalQueries.Should().Be(r.Seeds.Sum(s => s.Queries + s.ShrinkQueries), "shrinking is charged on top of the search's queries");
        r.ShrinkQueries.Should().BeGreaterThan(0);
    }

    [Fact]
    public void DiffChaser_finds_triggering_inputs_on_the_mnist_pair()
    {
        var pair = SearchTestData.MnistPair();
        var seeds = SearchTestData.Mnist().Load(100, 6);
        var r = new SearchRunner(pair, new SearchSettings { Strategy = SearchStrategy.DiffChaser, Budget = 1000 }).Run(seeds, cancellation: Ct);
        r.Triggered.Should().BeGreaterThanOrEqualTo(3);
        foreach (var s in r.Seeds.Where(s => s.Status == SearchStatus.Triggered))
        {
            var (po, pc) = pair.Predict([s.Trigger!]);
            Labels.ArgMax(po[0]).Should().NotBe(Labels.ArgMax(pc[0]));
            s.Queries.Should().BeLessThanOrEqualTo(1000);
        }
    }

    [Fact]
    public void A_max_linf_bound_keeps_every_triggering_input_within_the_box_on_resnet8()
    {
        var pair = SearchTestData.Resnet8Pair();
        var seeds = SearchTestData.Cifar().Load(0, 4);
        var r = new SearchRunner(pair, new SearchSettings { Budget = 400, Bound = new DistortionBound { MaxLInf = 12 } }).Run(seeds, cancellation: Ct);
        r.Triggered.Should().BeGreaterThan(0);
        r.Seeds.Where(s => s.Trigger is not null).Should().OnlyContain(s => s.LInf <= 12);
    }

    [Fact]
    public void The_report_writes_results_json_with_summary_and_per_seed_fields_and_a_picture_per_trigger()
    {
        var pair = SearchTestData.Resnet8Pair();
        var source = SearchTestData.Cifar();
        var r = new SearchRunner(pair, new SearchSettings { Budget = 200 }).Run(source.Load(176, 4), cancellation: Ct);
        r.Triggered.Should().BeGreaterThan(0, "the per-trigger fields and pictures must be checked on at least one");
        var dir = Path.Combine(Path.GetTempPath(), "dflare-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = SearchReport.Write(r, dir, new SearchReportContext { ClassNames = source.ClassNames });
            var json = JsonNode.Parse(File.ReadAllText(path))!;
            var summary = json["summary"]!;
            foreach (var k in new[] { "seeds", "triggered", "alreadyDeviating", "notFound", "totalQueries", "medianQueriesPerTrigger", "meanQueriesPerTrigger", "seconds", "strategy" })
                summary[k].Should().NotBeNull($"summary.{k}");
            summary["seeds"]!.GetValue<int>().Should().Be(4);
            summary["alreadyDeviating"]!.GetValue<int>().Should().Be(1);
            var seeds = json["seeds"]!.AsArray();
            seeds.Should().HaveCount(4);
            var s178 = seeds.Single(s => s!["id"]!.GetValue<string>() == "178")!;
            s178["status"]!.GetValue<string>().Should().Be("already-deviating");
            s178["originalClass"]!.GetValue<string>().Should().Be("dog");
            s178["compressedClass"]!.GetValue<string>().Should().Be("cat");
            foreach (var s in seeds.Where(s => s!["status"]!.GetValue<string>() == "triggered"))
            {
                s!["originalProbabilities"]!.AsArray().Should().HaveCount(10);
                s["operatorSequence"]!.AsArray().Should().NotBeEmpty();
                File.Exists(Path.Combine(dir, s["image"]!.GetValue<string>())).Should().BeTrue();
                var input = Dflare.Images.Image.Load(Path.Combine(dir, s["input"]!.GetValue<string>()));
                input.Should().Be(r.Seeds.Single(x => x.SeedId == s["id"]!.GetValue<string>()).Trigger, "the saved input is lossless");
            }
            json["operators"]!.AsArray().Select(o => o!["operator"]!.GetValue<string>()).Should().Equal(Dflare.Search.Mutation.MutationOperators.Names);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
