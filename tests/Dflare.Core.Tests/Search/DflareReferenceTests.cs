using Dflare.Datasets;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search;
using Dflare.Search.DflareReference;
using Dflare.Search.Mutation;
using Dflare.Search.Random;

namespace Dflare.Tests.Search;

/// <summary>
/// <c>dflare-reference</c>, the DFlare authors' shipped behaviour: its acceptance rule driven with synthetic answers, its
/// determinism and replay on the real pairs, and that without its k1 = −1 rank rule it is <c>dflare</c> (which adopted
/// the other two differences).
/// </summary>
public sealed class DflareReferenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static float[] P(params float[] v) => v;
    private static readonly SearchSettings Reference = new() { Strategy = SearchStrategy.DflareReference };
    private static string SeedsJson(SearchRunResult r) => SearchIntegrationTests.WithoutTimings(SearchReport.ToJson(r, new SearchReportContext())["seeds"]!);

    private static DflareReferenceSearch Start(SearchSettings settings, float[] seedOrig, float[] seedComp)
    {
        var seed = DflareSearchTests.SyntheticSeed();
        var s = new DflareReferenceSearch(seed, seed.Image, settings);
        s.Propose().Should().ContainSingle().Which.Should().BeSameAs(seed.Image, "the seed itself is checked first");
        s.Observe([seedOrig], [seedComp]);
        return s;
    }

    private static Image Step(DflareReferenceSearch s, float[] orig, float[] comp)
    {
        var m = s.Propose().Should().ContainSingle().Subject;
        s.Observe([orig], [comp]);
        return m;
    }

    [Fact]
    public void A_mutant_is_kept_when_its_gap_moves_by_more_than_1e_3_either_way_from_the_last_kept_one_starting_from_0()
    {
        // Seed gap 0.3. Every answer below stays within squared distance 0.5 of the seed's pair: none is novel.
        var s = Start(Reference, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.5f, 0.4f));
        s.ReferenceGap.Should().Be(0, "the shipped code starts from a fitness of 0, not the seed's gap");

        // Gap 0.3, the seed's own: kept (|0.3 − 0| > 1e-3); the earlier dflare rule would not (no growth over the seed's gap).
        var m1 = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.5f, 0.4f));
        s.Current.Should().BeSameAs(m1);
        s.ReferenceGap.Should().BeApproximately(0.3, 1e-6);

        // Gap 0.2: a fall by 0.1, kept, and the reference gap follows it down.
        var m2 = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.6f, 0.3f));
        s.Current.Should().BeSameAs(m2);
        s.ReferenceGap.Should().BeApproximately(0.2, 1e-6);

        // Gap 0.2005: moved by 0.0005 only → rejected.
        var m3 = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.5995f, 0.3005f));
        s.Current.Should().BeSameAs(m2).And.NotBeSameAs(m3);
        s.Kept.Should().Be(2);
        s.Selector.Successes.Sum().Should().Be(2);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Only_novel_pairs_are_remembered_for_the_novelty_test_unlike_the_earlier_dflare_rule_which_remembered_every_evaluated_pair(bool shipped)
    {
        // p(x) = (x, 1 − x | x, 1 − x): both models agree, so every gap is 0 and only novelty can keep a mutant. The squared
        // distance of p(x) and p(z) is 4·(x − z)², novel when above 0.5, i.e. when |x − z| > 0.354.
        static float[] Half(float x) => [x, 1 - x];
        var settings = Reference with { DflareReference = new DflareReferenceSettings { EitherDirection = shipped } };
        var s = Start(settings, Half(0.9f), Half(0.9f));
        // 0.6: 0.36 from the seed's 0.9 → not novel, rejected (remembered only under dflare's rule).
        var c = Step(s, Half(0.6f), Half(0.6f));
        s.Current.Should().NotBeSameAs(c);
        // 0.3: 1.44 from 0.9 but 0.36 from 0.6 → novel only if 0.6 was not remembered.
        var d = Step(s, Half(0.3f), Half(0.3f));
        if (shipped) s.Current.Should().BeSameAs(d, "the rejected pair 0.6 was never added to the remembered pairs");
        else s.Current.Should().NotBeSameAs(d, "the earlier rule remembers every evaluated pair, 0.6 included");
        s.Kept.Should().Be(shipped ? 1 : 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    public void Memoryless_ranks_follow_q_pow_k_whatever_the_last_accepted_operator(int lastAccepted)
    {
        const int n = 7, draws = 100_000;
        double q = 1 - 1.0 / n;
        // Operator i has rank i (ratios 0.7, 0.6, …, 0.1).
        int[] selections = [10, 10, 10, 10, 10, 10, 10], successes = [7, 6, 5, 4, 3, 2, 1];
        var sel = new Dflare.Search.DflareStrategy.OperatorSelector(n, memoryless: true);
        var rng = new Rng(31 + (ulong)lastAccepted);
        var counts = new int[n];
        for (int d = 0; d < draws; d++)
        {
            sel.SetStatistics(selections, successes, lastAccepted);
            counts[sel.Select(rng)]++;
        }
        var law = Enumerable.Range(0, n).Select(k => Math.Pow(q, k)).ToArray();
        for (int k = 0; k < n; k++) ((double)counts[k] / draws).Should().BeApproximately(law[k] / law.Sum(), 0.005, $"rank {k}");
        Dflare.Search.DflareStrategy.OperatorSelector.TransitionProbabilities(-1, n).Should().BeEquivalentTo(law.Select(x => x / law.Sum()), o => o.WithStrictOrdering().Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-12)).WhenTypeIs<double>());
        sel.Clone().Memoryless.Should().BeTrue();
        // Before any accepted mutant the choice is uniform, as in the shipped code.
        var fresh = new Dflare.Search.DflareStrategy.OperatorSelector(n, memoryless: true);
        var uniform = new int[n];
        for (int d = 0; d < 70_000; d++) uniform[fresh.Select(rng)]++;
        uniform.Should().OnlyContain(c => Math.Abs(c - 10_000) < 450);
    }

    [Fact]
    public void Without_its_k1_rank_rule_it_gives_exactly_dflare_s_results_on_the_mnist_pair_with_either_noise_cast()
    {
        var pair = SearchTestData.MnistPair();
        var seeds = SearchTestData.Mnist().Load(0, 8);
        var dflare = new SearchSettings { Budget = 300, RunSeed = 4 };
        var rounding = MutationOperators.Parse("gaussian-noise:cast=round,salt-pepper,multiplicative-noise:cast=round,pixel-change,box-blur,gaussian-blur,median-blur");
        foreach (var (settings, uint8) in new[] { (dflare, true), (dflare with { Operators = rounding }, false) })
        {
            var off = settings with
            {
                Strategy = SearchStrategy.DflareReference,
                DflareReference = new DflareReferenceSettings { MemorylessRanks = false, Uint8Noise = uint8 },
            };
            var a = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);
            var b = new SearchRunner(pair, off).Run(seeds, cancellation: Ct);
            SeedsJson(b).Should().Be(SeedsJson(a), "the rank rule is the only documented difference left");
            a.Triggered.Should().BeGreaterThan(0);
            // The faithful defaults do differ.
            var full = new SearchRunner(pair, settings with { Strategy = SearchStrategy.DflareReference }).Run(seeds, cancellation: Ct);
            SeedsJson(full).Should().NotBe(SeedsJson(a));
        }
    }

    [Fact]
    public void Single_seed_one_thread_runs_equal_lock_step_multi_threaded_runs_on_resnet8_and_on_the_mnist_pair()
    {
        foreach (var (pair, seeds) in new[] { (SearchTestData.Resnet8Pair(), SearchTestData.Cifar().Load(20, 4)), (SearchTestData.MnistPair(), SearchTestData.Mnist().Load(0, 6)) })
        {
            var settings = Reference with { Budget = 200, RunSeed = 3 };
            var single = seeds.Select(s => new SearchRunner(pair, settings with { LockStep = 1, Threads = 1 }).Run([s], cancellation: Ct).Seeds.Single()).ToArray();
            var batched = new SearchRunner(pair, settings with { LockStep = 4, Threads = 2 }).Run(seeds, cancellation: Ct);
            var again = new SearchRunner(pair, settings with { LockStep = 3, Threads = 1 }).Run(seeds, cancellation: Ct);
            var other = new SearchRunner(pair, settings with { RunSeed = 4 }).Run(seeds, cancellation: Ct);

            var one = new SearchRunResult { Settings = settings, Seeds = single };
            SeedsJson(batched).Should().Be(SeedsJson(one));
            SeedsJson(again).Should().Be(SeedsJson(one));
            SeedsJson(other).Should().NotBe(SeedsJson(one), "the run seed drives every random choice");
            batched.Triggered.Should().BeGreaterThan(0, "the comparison must cover triggering inputs too");
        }
    }

    [Fact]
    public void Its_triggering_inputs_make_the_models_disagree_and_replay_bit_for_bit_with_uint8_noise()
    {
        var pair = SearchTestData.MnistPair();
        var seeds = SearchTestData.Mnist().Load(100, 8);
        // The operators as given round their noise: dflare-reference casts them to uint8 all the same.
        var settings = Reference with { Budget = 600, RunSeed = 1, Operators = MutationOperators.Parse("gaussian-noise:cast=round,salt-pepper,multiplicative-noise:cast=round,pixel-change,box-blur,gaussian-blur,median-blur") };
        var r = new SearchRunner(pair, settings).Run(seeds, cancellation: Ct);

        r.Triggered.Should().BeGreaterThanOrEqualTo(5);
        bool noiseUsed = false;
        foreach (var s in r.Seeds.Where(s => s.Status == SearchStatus.Triggered))
        {
            var (po, pc) = pair.Predict([s.Trigger!]);
            Labels.ArgMax(po[0]).Should().Be(s.OriginalLabel);
            Labels.ArgMax(pc[0]).Should().Be(s.CompressedLabel);
            s.OriginalLabel.Should().NotBe(s.CompressedLabel);
            s.Queries.Should().Be(2 + 2L * s.Iterations);
            DflareReferenceSearch.Replay(s.SeedImage, s.SeedId, s.Mutations, settings).Should().Be(s.FoundTrigger, $"seed {s.SeedId} replays");
            if (s.Mutations.Any(m => m.Operator.EndsWith("noise", StringComparison.Ordinal)))
            {
                noiseUsed = true;
                // With rounding noise the same steps build another image: the uint8 cast is really applied.
                var rounding = MutationOperators.Parse("gaussian-noise:cast=round,salt-pepper,multiplicative-noise:cast=round,pixel-change,box-blur,gaussian-blur,median-blur");
                Dflare.Search.DflareStrategy.DflareSearch.Replay(s.SeedImage, s.SeedId, s.Mutations, settings with { Operators = rounding }).Should().NotBe(s.FoundTrigger);
            }
        }
        noiseUsed.Should().BeTrue("some trigger must come through a noise operator for the replay check to mean something");
        DflareReferenceSearch.OperatorsFor(settings).OfType<GaussianNoise>().Single().Cast.Should().Be(NoiseCast.Uint8);
        DflareReferenceSearch.OperatorsFor(settings).OfType<MultiplicativeNoise>().Single().Cast.Should().Be(NoiseCast.Uint8);
        DflareReferenceSearch.OperatorsFor(settings with { DflareReference = new() { Uint8Noise = false } }).Should().Equal(settings.Operators);
        DflareReferenceSearch.OperatorsFor(settings with { DflareReference = new() { Uint8Noise = false } }).OfType<GaussianNoise>().Single().Cast.Should().Be(NoiseCast.Round);
    }
}
