using Dflare.Search.DflareStrategy;
using Dflare.Search.Random;

namespace Dflare.Tests.Search;

/// <summary>Metropolis–Hastings operator selection over ranks.</summary>
public sealed class SelectionTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    public void One_step_from_rank_k1_follows_min_1_q_pow_k2_minus_k1_normalised(int k1)
    {
        const int n = 7, draws = 200_000;
        double q = 1 - 1.0 / n;
        var rng = new Rng(100 + (ulong)k1);
        var counts = new int[n];
        for (int i = 0; i < draws; i++) counts[OperatorSelector.NextRank(k1, n, rng)]++;
        // The law, written out from the rule: accept k2 with min(1, q^(k2−k1)); redraw on rejection.
        var a = Enumerable.Range(0, n).Select(k2 => Math.Min(1, Math.Pow(q, k2 - k1))).ToArray();
        for (int k = 0; k < n; k++) ((double)counts[k] / draws).Should().BeApproximately(a[k] / a.Sum(), 0.004, $"rank {k} from k1 = {k1}");
        OperatorSelector.TransitionProbabilities(k1, n).Should().BeEquivalentTo(a.Select(x => x / a.Sum()), o => o.WithStrictOrdering());
    }

    [Fact]
    public void The_rank_chain_has_the_stationary_law_q_pow_k_times_Z_k_which_favours_top_ranks()
    {
        const int n = 7;
        var pi = OperatorSelector.StationaryDistribution(n);
        // Independent check of the closed form: power iteration of the transition matrix.
        var p = Enumerable.Repeat(1.0 / n, n).ToArray();
        for (int it = 0; it < 2000; it++)
        {
            var next = new double[n];
            for (int i = 0; i < n; i++)
            {
                var row = OperatorSelector.TransitionProbabilities(i, n);
                for (int j = 0; j < n; j++) next[j] += p[i] * row[j];
            }
            p = next;
        }
        for (int k = 0; k < n; k++) pi[k].Should().BeApproximately(p[k], 1e-9);
        pi.Should().BeInDescendingOrder("top-ranked operators are chosen most often");
        (pi[0] / pi[n - 1]).Should().BeGreaterThan(1.5);

        // The sampler itself, run as a chain, reaches that law.
        var rng = new Rng(77);
        var counts = new int[n];
        int k1 = 0;
        const int steps = 400_000;
        for (int s = 0; s < steps; s++) { k1 = OperatorSelector.NextRank(k1, n, rng); counts[k1]++; }
        for (int k = 0; k < n; k++) ((double)counts[k] / steps).Should().BeApproximately(pi[k], 0.005);
    }

    [Fact]
    public void Ranks_order_operators_by_success_ratio_and_break_ties_at_random()
    {
        var sel = new OperatorSelector(4);
        var rng = new Rng(5);
        // Untried operators all have ratio 0: every one reaches rank 0 sometimes.
        Enumerable.Range(0, 200).Select(_ => sel.Rank(rng)[0]).Distinct().Should().HaveCount(4);
        // Ratios: op0 = 1/4, op1 = 0/2, op2 = 2/2, op3 = 1/4.
        sel.SetStatistics([4, 2, 2, 4], [1, 0, 2, 1], lastAccepted: 2);
        var middles = new HashSet<string>();
        for (int t = 0; t < 100; t++)
        {
            var r = sel.Rank(rng);
            r[0].Should().Be(2);
            r[3].Should().Be(1);
            middles.Add($"{r[1]}{r[2]}");
        }
        middles.Should().BeEquivalentTo(["03", "30"], "the tie between op0 and op3 is broken both ways");
    }

    [Fact]
    public void Before_any_accepted_mutant_and_in_the_random_ops_ablation_the_choice_is_uniform()
    {
        var mh = new OperatorSelector(7);
        var rng = new Rng(9);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[mh.Select(rng)]++;
        counts.Should().OnlyContain(c => Math.Abs(c - 10_000) < 450);
        mh.Selections.Sum().Should().Be(70_000);

        var uniform = new OperatorSelector(7, metropolisHastings: false);
        uniform.SetStatistics([10, 10, 10, 10, 10, 10, 10], [9, 0, 0, 0, 0, 0, 0], lastAccepted: 0);
        counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[uniform.Select(rng)]++;
        counts.Should().OnlyContain(c => Math.Abs(c - 10_000) < 450);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(6)]
    public void After_a_success_the_pick_follows_the_rank_chain_from_the_last_accepted_operator(int lastAccepted)
    {
        const int n = 7;
        // Strict ranking by ratio: operator i has ratio (7 − i)/10, so operator i has rank i.
        int[] selections = [10, 10, 10, 10, 10, 10, 10], successes = [7, 6, 5, 4, 3, 2, 1];
        var sel = new OperatorSelector(n);
        var rng = new Rng(11 + (ulong)lastAccepted);
        var counts = new int[n];
        const int draws = 100_000;
        for (int d = 0; d < draws; d++)
        {
            sel.SetStatistics(selections, successes, lastAccepted);
            counts[sel.Select(rng)]++;
        }
        var expected = OperatorSelector.TransitionProbabilities(lastAccepted, n);
        for (int k = 0; k < n; k++) ((double)counts[k] / draws).Should().BeApproximately(expected[k], 0.005, $"operator at rank {k}");
        if (lastAccepted < n - 1) counts[0].Should().BeGreaterThan(counts[n - 1], "the best-ranked operator is preferred over the worst");
        else expected.Should().OnlyContain(p => Math.Abs(p - 1.0 / n) < 1e-12, "from the last rank every proposal is accepted");
    }
}
