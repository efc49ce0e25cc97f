using Dflare.Search.Random;

namespace Dflare.Tests.Search;

public sealed class RngTests
{
    [Fact]
    public void SplitMix64_matches_the_published_reference_sequence_for_seed_1234567()
    {
        ulong state = 1234567;
        var got = Enumerable.Range(0, 5).Select(_ => Rng.SplitMix64(ref state)).ToArray();
        got.Should().Equal(6457827717110365317UL, 3203168211198807973UL, 9817491932198370423UL, 4593380528125082431UL, 16408922859458223821UL);
    }

    [Fact]
    public void The_same_run_seed_and_seed_id_give_the_same_sequence_and_other_ids_or_streams_give_other_sequences()
    {
        static ulong[] Take(Rng r) => Enumerable.Range(0, 8).Select(_ => r.NextUInt64()).ToArray();
        Take(Rng.For(42, "178")).Should().Equal(Take(Rng.For(42, "178")));
        Take(Rng.For(42, "178")).Should().NotEqual(Take(Rng.For(42, "179")));
        Take(Rng.For(42, "178")).Should().NotEqual(Take(Rng.For(43, "178")));
        Take(Rng.For(42, "178", 1)).Should().NotEqual(Take(Rng.For(42, "178", 2)));
        Rng.Hash(0, "ab").Should().NotBe(Rng.Hash(0, "ba"));
    }

    [Fact]
    public void NextInt_is_uniform_over_its_range()
    {
        var rng = new Rng(1);
        var counts = new int[7];
        const int n = 70_000;
        for (int i = 0; i < n; i++) counts[rng.NextInt(7)]++;
        double chi2 = counts.Sum(c => Math.Pow(c - n / 7.0, 2) / (n / 7.0));
        chi2.Should().BeLessThan(22.5, "the chi-square statistic with 6 degrees of freedom stays below 22.5 with probability 0.999");
        var r = new Rng(2);
        Enumerable.Range(0, 1000).Select(_ => r.NextInt(3, 5)).Distinct().Order().Should().Equal(3, 4, 5);
    }

    [Fact]
    public void NextGaussian_has_mean_0_and_variance_1_and_NextDouble_stays_in_0_1()
    {
        var rng = new Rng(3);
        var xs = Enumerable.Range(0, 200_000).Select(_ => rng.NextGaussian()).ToArray();
        xs.Average().Should().BeApproximately(0, 0.01);
        xs.Select(x => x * x).Average().Should().BeApproximately(1, 0.015);
        xs.Count(x => Math.Abs(x) < 1).Should().BeCloseTo((int)(0.6827 * xs.Length), 1000);
        var d = Enumerable.Range(0, 10_000).Select(_ => rng.NextDouble()).ToArray();
        d.Should().OnlyContain(v => v >= 0 && v < 1);
    }

    [Fact]
    public void FillGaussian_gives_exactly_the_values_and_final_state_of_repeated_NextGaussian_calls()
    {
        foreach (var (n, spare) in new[] { (0, false), (1, false), (2, true), (7, false), (3072, false), (3073, true), (784, true) })
        {
            var a = new Rng((ulong)n + 10);
            var b = new Rng((ulong)n + 10);
            if (spare) { a.NextGaussian(); b.NextGaussian(); } // leaves a pending second value of a pair
            var expected = Enumerable.Range(0, n).Select(_ => a.NextGaussian()).ToArray();
            var got = new double[n];
            b.FillGaussian(got);
            got.Should().Equal(expected, $"n = {n}, spare = {spare}");
            b.NextGaussian().Should().Be(a.NextGaussian(), "the generator is left in the same state");
            b.NextUInt64().Should().Be(a.NextUInt64());
        }
    }

    [Fact]
    public void FillGaussian_zeroes_only_pairs_whose_values_are_both_below_the_radius_and_consumes_the_same_draws()
    {
        var a = new Rng(77);
        var b = new Rng(77);
        const int n = 20_001;
        var expected = Enumerable.Range(0, n).Select(_ => a.NextGaussian()).ToArray();
        var got = new double[n];
        b.FillGaussian(got, zeroBelow: 1.5);
        int zeroed = 0;
        for (int i = 0; i < n; i++)
        {
            if (got[i] == expected[i]) continue;
            got[i].Should().Be(0, $"value {i} differs only by being zeroed");
            Math.Abs(expected[i]).Should().BeLessThan(1.5);
            zeroed++;
        }
        // P(r < 1.5) = 1 − e^(−1.125) ≈ 0.675 of the pairs.
        ((double)zeroed / n).Should().BeInRange(0.6, 0.75);
        b.NextUInt64().Should().Be(a.NextUInt64(), "the same draws were consumed");
    }

    [Fact]
    public void Distinct_draws_distinct_values_in_range_for_small_and_large_counts()
    {
        var rng = new Rng(4);
        foreach (var (count, n) in new[] { (3, 100), (60, 100), (100, 100), (0, 5) })
        {
            var v = rng.Distinct(count, n);
            v.Should().HaveCount(count).And.OnlyHaveUniqueItems().And.OnlyContain(x => x >= 0 && x < n);
        }
        FluentActions.Invoking(() => rng.Distinct(6, 5)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
