using Dflare.Datasets;
using Dflare.Images;
using Dflare.Search;
using Dflare.Search.DflareStrategy;
using Dflare.Search.Random;

namespace Dflare.Tests.Search;

/// <summary>DFlare's fitness, novelty and acceptance, driven with synthetic model answers.</summary>
public sealed class DflareSearchTests
{
    internal static Seed SyntheticSeed(string id = "s1", int w = 8, int h = 8, int c = 3)
    {
        var rng = new Rng(123);
        var img = new Image(w, h, c);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(40 + rng.NextInt(170));
        return new Seed(id, 0, img, 1);
    }

    private static float[] P(params float[] v) => v;

    [Fact]
    public void Gap_is_the_difference_of_the_two_models_probabilities_of_the_original_top_1_label()
    {
        DflareSearch.Gap(P(0.1f, 0.7f, 0.2f), P(0.3f, 0.5f, 0.2f)).Should().BeApproximately(0.2, 1e-6);
        DflareSearch.Gap(P(0.1f, 0.5f, 0.4f), P(0.1f, 0.8f, 0.1f)).Should().BeApproximately(0.3, 1e-6, "|gap| is used");
    }

    [Fact]
    public void A_pair_is_novel_only_when_its_squared_distance_to_every_seen_pair_exceeds_the_threshold()
    {
        var seen = new List<float[]> { DflareSearch.Pair(P(1, 0), P(1, 0)) };
        DflareSearch.IsNovel(DflareSearch.Pair(P(1, 0), P(1, 0)), seen, 0.5).Should().BeFalse();
        // (0.5, 0.5 | 1, 0): squared distance 0.25 + 0.25 = 0.5, not > 0.5.
        DflareSearch.IsNovel(DflareSearch.Pair(P(0.5f, 0.5f), P(1, 0)), seen, 0.5).Should().BeFalse();
        // (0.4, 0.6 | 1, 0): 0.36 + 0.36 = 0.72 > 0.5.
        DflareSearch.IsNovel(DflareSearch.Pair(P(0.4f, 0.6f), P(1, 0)), seen, 0.5).Should().BeTrue();
        seen.Add(DflareSearch.Pair(P(0.45f, 0.55f), P(1, 0)));
        DflareSearch.IsNovel(DflareSearch.Pair(P(0.4f, 0.6f), P(1, 0)), seen, 0.5).Should().BeFalse("it is close to the second seen pair");
        DflareSearch.IsNovel(DflareSearch.Pair(P(0.4f, 0.6f), P(1, 0)), [], 0.5).Should().BeTrue();
    }

    private static DflareSearch Start(SearchSettings settings, float[] seedOrig, float[] seedComp, Seed? seed = null)
    {
        seed ??= SyntheticSeed();
        var s = new DflareSearch(seed, seed.Image, settings);
        s.Propose().Should().ContainSingle().Which.Should().BeSameAs(seed.Image, "the seed itself is checked first");
        s.Observe([seedOrig], [seedComp]);
        return s;
    }

    private static Image Step(DflareSearch s, float[] orig, float[] comp)
    {
        var m = s.Propose().Should().ContainSingle().Subject;
        s.Observe([orig], [comp]);
        return m;
    }

    [Fact]
    public void A_mutant_is_kept_when_the_gap_moves_by_more_than_1e_3_either_way_or_the_pair_is_novel_and_its_operator_is_credited()
    {
        // Seed gap 0.3: the reference gap still starts at 0 (the shipped rule).
        var s = Start(new SearchSettings(), P(0.1f, 0.8f, 0.1f), P(0.1f, 0.5f, 0.4f));
        s.BestGap.Should().Be(0);

        // Gap 0.3005: the seed's own gap, 0.3005 away from 0 → kept; not novel (squared distance 0.0 to the seed's pair).
        var m1 = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.4995f, 0.4005f));
        s.Current.Should().BeSameAs(m1);
        s.BestGap.Should().BeApproximately(0.3005, 1e-6);
        s.Selector.Successes.Sum().Should().Be(1);
        s.Selector.LastAccepted.Should().NotBeNull();

        // Gap 0.3: moved by 0.0005 only, not novel → rejected.
        var m2 = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.5f, 0.4f));
        s.Current.Should().BeSameAs(m1).And.NotBeSameAs(m2);

        // Gap 0.25: a fall by 0.05 → kept (either direction), and the reference follows it down.
        var m3 = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.55f, 0.35f));
        s.Current.Should().BeSameAs(m3);
        s.BestGap.Should().BeApproximately(0.25, 1e-6);

        // Gap 0.2502 but the pair is far from every remembered one (novel) → kept for its novelty.
        var m4 = Step(s, P(0.6f, 0.3f, 0.1f), P(0.3498f, 0.33f, 0.3202f));
        s.Current.Should().BeSameAs(m4);
        s.Selector.Successes.Sum().Should().Be(3);

        // The same pair again: neither a gap move nor novelty (m4's pair was remembered) → rejected.
        var m5 = Step(s, P(0.6f, 0.3f, 0.1f), P(0.3498f, 0.33f, 0.3202f));
        s.Current.Should().BeSameAs(m4).And.NotBeSameAs(m5);
        s.Iterations.Should().Be(5);
        s.Queries.Should().Be(2 + 5 * 2, "the seed check and each mutant cost one query per model");
    }

    [Fact]
    public void Gap_only_ablation_ignores_novelty()
    {
        var s = Start(new SearchSettings { Strategy = SearchStrategy.GapOnly }, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f));
        var m = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.75f, 0.15f)); // gap 0.05, 0.05 from 0 → kept by the gap
        s.Current.Should().BeSameAs(m);
        var m2 = Step(s, P(0.33f, 0.34f, 0.33f), P(0.355f, 0.29f, 0.355f)); // novel but the same gap 0.05 → rejected
        s.Current.Should().NotBeSameAs(m2);
        s.Selector.Successes.Sum().Should().Be(1);
    }

    [Fact]
    public void Differing_labels_end_the_search_with_the_mutant_as_triggering_input_and_the_mutations_replay_it()
    {
        var settings = new SearchSettings { ShrinkFraction = 0, RunSeed = 5 };
        var seed = SyntheticSeed("abc");
        var s = Start(settings, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f), seed);
        Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.7f, 0.2f)); // kept
        Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.7f, 0.2f)); // rejected
        var trigger = Step(s, P(0.1f, 0.6f, 0.3f), P(0.1f, 0.3f, 0.6f)); // labels 1 vs 2

        s.IsDone.Should().BeTrue();
        var r = s.Result;
        r.Status.Should().Be(SearchStatus.Triggered);
        r.Trigger.Should().BeSameAs(trigger);
        (r.OriginalLabel, r.CompressedLabel).Should().Be((1, 2));
        r.Queries.Should().Be(8);
        r.Iterations.Should().Be(3);
        r.Mutations.Should().HaveCount(2);
        r.LInf.Should().Be(Distances.LInf(trigger, seed.Image));
        r.Ssim.Should().BeApproximately(Distances.Ssim(trigger, seed.Image), 1e-12);
        DflareSearch.Replay(seed.Image, seed.Id, r.Mutations, settings).Should().Be(trigger);
        s.Propose().Should().BeEmpty();
    }

    [Fact]
    public void A_tied_top_1_is_never_a_deviation_and_a_minimum_margin_is_honoured()
    {
        var s = Start(new SearchSettings { ShrinkFraction = 0 }, P(0.2f, 0.6f, 0.2f), P(0.2f, 0.6f, 0.2f));
        // Compressed: classes 0 and 1 tie at 0.4; argmax would say 0 ≠ 1, but a tie does not count.
        Step(s, P(0.2f, 0.6f, 0.2f), P(0.4f, 0.4f, 0.2f));
        s.IsDone.Should().BeFalse();
        Deviation.Judge(P(0.2f, 0.6f, 0.2f), P(0.4f, 0.4f, 0.2f)).Should().Be(Verdict.Tie);

        var m = Start(new SearchSettings { ShrinkFraction = 0, MinMargin = 0.1 }, P(0.2f, 0.6f, 0.2f), P(0.2f, 0.6f, 0.2f));
        Step(m, P(0.2f, 0.6f, 0.2f), P(0.45f, 0.4f, 0.15f)); // labels 1 vs 0, compressed margin 0.05 < 0.1
        m.IsDone.Should().BeFalse();
        Step(m, P(0.2f, 0.6f, 0.2f), P(0.55f, 0.3f, 0.15f)); // margin 0.25 and 0.4
        m.Result.Status.Should().Be(SearchStatus.Triggered);
        m.Result.TiesOrBelowMargin.Should().Be(1);
    }

    [Fact]
    public void With_a_margin_the_original_must_keep_its_seed_label()
    {
        // Seed: both say 1. A mutant where the original says 0 and the compressed 2, both confidently, is not a
        // confident deviation: the original left the seed's answer.
        var m = Start(new SearchSettings { ShrinkFraction = 0, MinMargin = 0.1 }, P(0.2f, 0.6f, 0.2f), P(0.2f, 0.6f, 0.2f));
        Step(m, P(0.7f, 0.2f, 0.1f), P(0.1f, 0.2f, 0.7f));
        m.IsDone.Should().BeFalse();
        Step(m, P(0.1f, 0.7f, 0.2f), P(0.1f, 0.2f, 0.7f)); // the original keeps 1, the compressed says 2
        m.Result.Status.Should().Be(SearchStatus.Triggered);
        m.Result.TiesOrBelowMargin.Should().Be(1, "the first mutant was a near miss");
        Deviation.Judge(P(0.7f, 0.2f, 0.1f), P(0.1f, 0.2f, 0.7f), 0.1, seedLabel: 1).Should().Be(Verdict.OriginalMoved);
        Deviation.Judge(P(0.7f, 0.2f, 0.1f), P(0.1f, 0.2f, 0.7f), 0.1).Should().Be(Verdict.Deviate, "without a seed label nothing is required of it");
        Deviation.Judge(P(0.7f, 0.2f, 0.1f), P(0.1f, 0.2f, 0.7f), 0, seedLabel: 1).Should().Be(Verdict.Deviate, "boundary deviations (no margin) may move the original");

        // Without a margin (any label change) the same mutant is a deviation.
        var b = Start(new SearchSettings { ShrinkFraction = 0 }, P(0.2f, 0.6f, 0.2f), P(0.2f, 0.6f, 0.2f));
        Step(b, P(0.7f, 0.2f, 0.1f), P(0.1f, 0.2f, 0.7f));
        b.Result.Status.Should().Be(SearchStatus.Triggered);
    }

    [Fact]
    public void A_seed_the_models_already_disagree_on_is_not_searched()
    {
        var seed = SyntheticSeed();
        var s = new DflareSearch(seed, seed.Image, new SearchSettings());
        s.Propose();
        s.Observe([P(0.7f, 0.2f, 0.1f)], [P(0.2f, 0.7f, 0.1f)]);
        s.IsDone.Should().BeTrue();
        s.Result.Status.Should().Be(SearchStatus.AlreadyDeviating);
        s.Result.Queries.Should().Be(2);
        s.Result.Trigger.Should().BeNull();
        (s.Result.OriginalLabel, s.Result.CompressedLabel).Should().Be((0, 1));
    }

    [Fact]
    public void The_query_budget_stops_the_search_and_counts_the_seed_check()
    {
        var s = Start(new SearchSettings { Budget = 9 }, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f));
        int steps = 0;
        while (s.Propose() is { Count: > 0 }) { s.Observe([P(0.1f, 0.8f, 0.1f)], [P(0.1f, 0.8f, 0.1f)]); steps++; }
        steps.Should().Be(3, "2 for the seed + 3 × 2 = 8 ≤ 9 < 10");
        s.Result.Status.Should().Be(SearchStatus.NotFound);
        s.Result.StopReason.Should().Be("budget spent");
        s.Result.Queries.Should().Be(8);
    }

    [Fact]
    public void Max_linf_clips_mutants_into_the_box_and_min_ssim_rejects_mutants_unevaluated()
    {
        var seed = SyntheticSeed("b", 16, 16, 3);
        var bound = new SearchSettings { ShrinkFraction = 0, Bound = new DistortionBound { MaxLInf = 3 } };
        var s = Start(bound, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f), seed);
        for (int i = 0; i < 60 && !s.IsDone; i++)
        {
            var m = Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f - 0.01f * i, 0.1f + 0.01f * i)); // always kept (gap grows)
            Distances.LInf(m, seed.Image).Should().BeLessThanOrEqualTo(3);
        }
        s.Current.Should().NotBeSameAs(seed.Image);

        var strict = Start(new SearchSettings { Bound = new DistortionBound { MinSsim = 0.995 }, MaxUnevaluatedInARow = 50 },
            P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f), seed);
        int proposed = 0;
        for (int i = 0; i < 40; i++)
        {
            var props = strict.Propose();
            if (props.Count == 0) break;
            proposed++;
            Distances.Ssim(props[0], seed.Image).Should().BeGreaterThanOrEqualTo(0.995);
            strict.Observe([P(0.1f, 0.8f, 0.1f)], [P(0.1f, 0.8f - 0.01f * i, 0.1f + 0.01f * i)]);
        }
        proposed.Should().BeGreaterThan(1, "the bound must have been checked on mutants, not only on the seed");
    }

    [Fact]
    public void The_same_settings_and_answers_give_the_same_mutants_and_another_run_seed_other_mutants()
    {
        Image[] Run(ulong runSeed)
        {
            var s = Start(new SearchSettings { RunSeed = runSeed }, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f));
            return Enumerable.Range(0, 10).Select(i => Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f - 0.01f * (i % 3), 0.1f + 0.01f * (i % 3)))).ToArray();
        }
        Run(1).Should().Equal(Run(1));
        Run(1).Should().NotEqual(Run(2));
    }

    [Fact]
    public void The_wall_time_limit_stops_the_search_once_the_attributed_time_is_spent()
    {
        var s = Start(new SearchSettings { TimeLimit = TimeSpan.FromSeconds(1) }, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f));
        s.AddSeconds(0.6);
        Step(s, P(0.1f, 0.8f, 0.1f), P(0.1f, 0.8f, 0.1f));
        s.AddSeconds(0.6);
        s.Propose().Should().BeEmpty();
        s.Result.Status.Should().Be(SearchStatus.NotFound);
        s.Result.StopReason.Should().Be("time limit");
        s.Result.Seconds.Should().BeApproximately(1.2, 1e-9);
    }
}
