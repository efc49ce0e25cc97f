using Dflare.Search;
using Dflare.Search.DiffChaser;

namespace Dflare.Tests.Search;

public sealed class DiffChaserSearchTests
{
    private static float[] P(params float[] v) => v;

    [Fact]
    public void Fitness_rises_as_the_models_probabilities_split_and_the_deviating_model_becomes_uncertain()
    {
        // Both sure of class 0: low fitness.
        double agree = DiffChaserSearch.Fitness(P(0.9f, 0.1f), P(0.9f, 0.1f), 1);
        agree.Should().BeApproximately(-0.8, 1e-6, "(0.9 − 0.9) − 1·(0.9 − 0.1)");
        // Compressed less sure: the difference grows and its margin shrinks.
        double closer = DiffChaserSearch.Fitness(P(0.9f, 0.1f), P(0.6f, 0.4f), 1);
        closer.Should().BeApproximately(0.3 - 0.2, 1e-6);
        closer.Should().BeGreaterThan(agree);
        // Symmetric: the original leaving the label scores the same way.
        DiffChaserSearch.Fitness(P(0.6f, 0.4f), P(0.9f, 0.1f), 1).Should().BeApproximately(closer, 1e-6);
        // Weight 0: only the difference of probabilities.
        DiffChaserSearch.Fitness(P(0.9f, 0.1f), P(0.6f, 0.4f), 0).Should().BeApproximately(0.3, 1e-6);
    }

    [Fact]
    public void Generations_have_population_then_population_minus_one_children_and_queries_stop_at_the_first_deviation()
    {
        var settings = new SearchSettings { ShrinkFraction = 0, Strategy = SearchStrategy.DiffChaser, DiffChaser = new DiffChaserSettings { Population = 6 } };
        var seed = DflareSearchTests.SyntheticSeed();
        var s = new DiffChaserSearch(seed, seed.Image, settings);
        s.Propose();
        s.Observe([P(0.9f, 0.1f)], [P(0.9f, 0.1f)]);

        var g1 = s.Propose();
        g1.Should().HaveCount(6);
        g1.Should().OnlyContain(m => !m.Equals(seed.Image));
        s.Observe(g1.Select(_ => P(0.9f, 0.1f)).ToArray(), g1.Select((_, i) => P(0.9f - 0.05f * i, 0.1f + 0.05f * i)).ToArray());
        s.Queries.Should().Be(2 + 12);

        var g2 = s.Propose();
        g2.Should().HaveCount(5, "the elite survives without re-evaluation");
        var comp = g2.Select(_ => P(0.8f, 0.2f)).ToArray();
        comp[2] = P(0.3f, 0.7f); // the third child deviates
        s.Observe(g2.Select(_ => P(0.9f, 0.1f)).ToArray(), comp);
        s.IsDone.Should().BeTrue();
        s.Result.Status.Should().Be(SearchStatus.Triggered);
        s.Result.Trigger.Should().BeSameAs(g2[2]);
        s.Result.Queries.Should().Be(2 + 12 + 3 * 2, "counted as a sequential evaluation stopping at the first deviation");
        s.Result.Iterations.Should().Be(2);
    }

    [Fact]
    public void The_last_generation_is_cut_to_the_budget()
    {
        var settings = new SearchSettings { Strategy = SearchStrategy.DiffChaser, Budget = 20, DiffChaser = new DiffChaserSettings { Population = 6 } };
        var seed = DflareSearchTests.SyntheticSeed();
        var s = new DiffChaserSearch(seed, seed.Image, settings);
        s.Propose();
        s.Observe([P(0.9f, 0.1f)], [P(0.9f, 0.1f)]);
        var sizes = new List<int>();
        while (s.Propose() is { Count: > 0 } g)
        {
            sizes.Add(g.Count);
            s.Observe(g.Select(_ => P(0.9f, 0.1f)).ToArray(), g.Select(_ => P(0.9f, 0.1f)).ToArray());
        }
        sizes.Should().Equal(6, 3);
        s.Result.Queries.Should().Be(20);
        s.Result.Status.Should().Be(SearchStatus.NotFound);
    }

    [Fact]
    public void Invalid_parameters_are_reported_by_option_name()
    {
        FluentActions.Invoking(() => new DiffChaserSettings { Population = 1 }.Validate()).Should().Throw<DflareException>().WithMessage("DiffChaser.Population must be at least 2 (got 1).");
        FluentActions.Invoking(() => new DiffChaserSettings { MutationRate = 2 }.Validate()).Should().Throw<DflareException>().WithMessage("DiffChaser.MutationRate must be in [0, 1] (got 2).");
        FluentActions.Invoking(() => new SearchSettings { Budget = 0 }.Validate()).Should().Throw<DflareException>().WithMessage("Budget must be at least 2 model queries*got 0.");
    }
}
