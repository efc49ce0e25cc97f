using Dflare.Search.Random;
using Dflare.Quanos;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;

namespace Dflare.Tests.Quanos;

/// <summary>Query-only gradient estimators on a real model.</summary>
public sealed class QuanosGradientTests
{
    [Fact]
    public void Finite_difference_gradient_of_cnn_pytorch_predicts_directional_derivatives()
    {
        var model = QuanosData.CnnPytorch();
        var queries = QuanosData.Queries(model, QuanosData.Mnist(10));
        var est = new FiniteDifferenceGradient().Estimate(model, queries);
        var kind = model.Info.OutputKind;
        const double t = 0.25; // grey levels along d, with |d_i| ≤ 1
        var randomErrors = new List<double>();
        foreach (var (q, g) in queries.Zip(est))
        {
            g.Queries.Should().Be(2 * 784 + 1);
            g.Loss.Should().BeGreaterThan(0, "the double-precision loss of a confident prediction is small but not zero");
            // Directions over the digit's ink (the black background has max-pool ties, where the loss is not linear).
            var rng = Rng.For(7, q.Id);
            var dirs = new List<double[]>();
            dirs.Add(q.Pixels.Select((v, i) => v > 0 ? (double)Math.Sign(g.Gradient[i]) : 0).ToArray());
            for (int k = 0; k < 8; k++)
                dirs.Add(q.Pixels.Select(v => v > 0 ? ((rng.NextUInt64() & 1) == 0 ? 1.0 : -1.0) : 0).ToArray());
            var probes = dirs.SelectMany(d => new[]
            {
                q.Pixels.Select((v, i) => (float)(v + t * d[i])).ToArray(),
                q.Pixels.Select((v, i) => (float)(v - t * d[i])).ToArray(),
            }).ToList();
            var rows = model.PredictScores(probes);
            for (int k = 0; k < dirs.Count; k++)
            {
                double measured = (AdversarialLoss.CrossEntropy(rows[2 * k], q.Target, kind) - AdversarialLoss.CrossEntropy(rows[2 * k + 1], q.Target, kind)) / (2 * t);
                double predicted = g.Gradient.Select((v, i) => v * dirs[k][i]).Sum();
                double rel = Math.Abs(predicted - measured) / Math.Abs(measured);
                if (k == 0) rel.Should().BeLessThan(0.02, $"along sign(ĝ) on seed {q.Id}: predicted {predicted:E4}, measured {measured:E4}");
                else randomErrors.Add(rel);
            }
        }
        randomErrors.Sort();
        randomErrors[randomErrors.Count / 2].Should().BeLessThan(0.05, "the median relative error over 80 random directions (measured 0.015)");
    }

    [Fact]
    public void Spsa_cosine_to_finite_differences_is_positive_and_grows_with_the_sample_count()
    {
        var model = QuanosData.CnnPytorch();
        var queries = QuanosData.Queries(model, QuanosData.Mnist(5));
        var fd = new FiniteDifferenceGradient().Estimate(model, queries);

        double MeanCosine(int samples) => new SpsaGradient(samples, seed: 1).Estimate(model, queries)
            .Select((g, i) => GradientMath.Cosine(g.Gradient, fd[i].Gradient)).Average();
        double c10 = MeanCosine(10), c200 = MeanCosine(200);

        // Theory for Rademacher SPSA: cos ≈ 1/sqrt(1 + (n−1)/N) = 0.112 (N=10), 0.451 (N=200) for n = 784.
        c10.Should().BeInRange(0.04, 0.2);
        c200.Should().BeInRange(0.35, 0.55);
        c200.Should().BeGreaterThan(c10 + 0.2);
    }

    [Fact]
    public void Estimates_are_deterministic_and_spsa_directions_depend_on_seed_id_and_iteration()
    {
        var model = QuanosData.CnnPytorch();
        var queries = QuanosData.Queries(model, QuanosData.Mnist(2));
        var spsa = new SpsaGradient(20, seed: 5);

        var a = spsa.Estimate(model, queries);
        var b = new SpsaGradient(20, seed: 5).Estimate(model, queries);
        var otherSeed = new SpsaGradient(20, seed: 6).Estimate(model, queries);
        var otherIteration = spsa.Estimate(model, queries.Select(q => q with { Iteration = 1 }).ToList());
        var sameImageOtherId = spsa.Estimate(model, [queries[0] with { Id = "renamed" }]);

        a[0].Gradient.Should().Equal(b[0].Gradient);
        a[1].Gradient.Should().Equal(b[1].Gradient);
        a[0].Gradient.Should().NotEqual(otherSeed[0].Gradient);
        a[0].Gradient.Should().NotEqual(otherIteration[0].Gradient);
        a[0].Gradient.Should().NotEqual(sameImageOtherId[0].Gradient);
        // Batching does not change an estimate beyond float noise of the runtime: one query alone, same directions.
        GradientMath.Cosine(spsa.Estimate(model, [queries[1]])[0].Gradient, a[1].Gradient).Should().BeGreaterThan(0.9999);

        var fd1 = new FiniteDifferenceGradient().Estimate(model, queries);
        var fd2 = new FiniteDifferenceGradient().Estimate(model, queries);
        fd1[0].Gradient.Should().Equal(fd2[0].Gradient);
        fd1[0].Gradient.Count(v => v != 0).Should().BeGreaterThan(300);
    }

    [Fact]
    public void Cosine_and_sign_agreement_follow_their_definitions()
    {
        GradientMath.Cosine([1, 0, 0], [2, 0, 0]).Should().BeApproximately(1, 1e-15);
        GradientMath.Cosine([1, 1, 0], [0, 1, 1]).Should().BeApproximately(0.5, 1e-15);
        GradientMath.Cosine([1, 2], [0, 0]).Should().Be(0);
        // Zeros of the reference are left out: here 2 of the 3 non-zero reference values agree in sign.
        GradientMath.SignAgreement([0.5, -1, 2, 3], [1, 0, 4, 0.0 - 1]).Should().BeApproximately(2 / 3.0, 1e-15);
        ((Action)(() => GradientMath.Cosine([1], [1, 2]))).Should().Throw<ArgumentException>();
    }

}
