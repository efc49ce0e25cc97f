using Dflare.Quanos;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;

namespace Dflare.Tests.Quanos;

/// <summary>Flip-ε scan, adversarial accuracy and pair comparison on real models.</summary>
public sealed class QuanosRobustnessTests
{
    [Fact]
    public void The_flip_scan_finds_an_eps_whose_image_really_flips_and_no_smaller_grid_point_does()
    {
        var model = QuanosData.CnnPytorch();
        var seeds = QuanosData.Mnist(8);
        var options = new RobustnessOptions { Epsilon = 0.1, MaxEpsilon = 0.4, Grid = 16, Refine = 3 };
        var report = new RobustnessAnalyzer(new FiniteDifferenceGradient(), options).Analyze(model, seeds);

        report.FlippedInScan.Should().BeGreaterThanOrEqualTo(6, "measured: all 8 flip before ε = 0.4");
        var grid = options.ScanGrid;
        grid.Should().HaveCount(16);
        grid[^1].Should().BeApproximately(0.4, 1e-12);
        // Re-derive each figure independently: a fresh gradient estimate, FGSM images at the reported and smaller ε.
        var queries = QuanosData.Queries(model, seeds);
        var g = new FiniteDifferenceGradient().Estimate(model, queries);
        for (int i = 0; i < seeds.Count; i++)
        {
            var s = report.Seeds[i];
            s.CleanPrediction.Should().Be(queries[i].Target);
            var (x, grad) = (queries[i].Pixels, g[i].Gradient);
            Func<double, int> At = e => QuanosData.Predict(model, Fgsm.Perturb(x, grad, e));
            if (s.GridFlipEpsilon is not { } ge)
            {
                grid.Select(At).Should().OnlyContain(p => p == s.CleanPrediction);
                s.FlipEpsilon.Should().BeNull();
                continue;
            }
            At(ge).Should().NotBe(s.CleanPrediction, $"seed {s.Id} flips at the grid ε {ge}");
            grid.Where(e => e < ge - 1e-12).Select(At).Should().OnlyContain(p => p == s.CleanPrediction);
            var fe = s.FlipEpsilon!.Value;
            fe.Should().BeLessThanOrEqualTo(ge);
            At(fe).Should().NotBe(s.CleanPrediction, $"seed {s.Id} flips at the refined ε {fe}");
            double lo = grid.Where(e => e < ge - 1e-12).DefaultIfEmpty(0).Max();
            fe.Should().BeGreaterThan(lo);
            for (int j = 1; j <= 3; j++)
            {
                double e = lo + (ge - lo) * j / 4;
                if (e < fe - 1e-12) At(e).Should().Be(s.CleanPrediction);
            }
        }
        // Adversarial accuracy and flips at ε come from the FGSM image at ε.
        for (int i = 0; i < seeds.Count; i++)
        {
            QuanosData.Predict(model, report.Seeds[i].Adversarial).Should().Be(report.Seeds[i].AdversarialPrediction);
            QuanosData.Predict(model, Fgsm.Perturb(queries[i].Pixels, g[i].Gradient, 0.1)).Should().Be(report.Seeds[i].AdversarialPrediction);
        }
        report.AdversarialAccuracy.Should().Be((double)report.Seeds.Count(s => s.AdversarialPrediction == s.Label) / seeds.Count);
        report.CleanAccuracy.Should().Be(1.0, "the first 8 MNIST test digits are all recognised");
        var flipEps = report.Seeds.Select(s => s.FlipEpsilon ?? double.PositiveInfinity).OrderBy(x => x).ToArray();
        report.MedianFlipEpsilon.Should().Be((flipEps[3] + flipEps[4]) / 2);
    }

    [Fact]
    public void The_iterative_variant_in_the_analyzer_reports_its_own_adversarial_images()
    {
        var model = QuanosData.Mnist8();
        var seeds = QuanosData.Mnist(4);
        var options = new RobustnessOptions { Epsilon = 0.08, Grid = 4, Steps = 3 };

        var report = new RobustnessAnalyzer(new FiniteDifferenceGradient(), options).Analyze(model, seeds);

        foreach (var s in report.Seeds)
        {
            QuanosData.Predict(model, s.Adversarial).Should().Be(s.AdversarialPrediction);
            var clean = AttackInput.From(model, seeds.Single(x => x.Id == s.Id)).Pixels;
            s.Adversarial.Zip(clean).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThanOrEqualTo((float)(0.08 * 255) + 1e-3f);
            s.Queries.Should().BeGreaterThan(1 + 1569 + 4);
        }
    }

    [Fact]
    public void Comparing_the_resnet8_pair_reports_both_models_and_transfer_on_the_same_seeds()
    {
        var seeds = QuanosData.Cifar(2);
        var analyzer = new RobustnessAnalyzer(new SpsaGradient(50, seed: 2), new RobustnessOptions { Epsilon = 8 / 255.0, Grid = 8 });

        var cmp = analyzer.Compare(QuanosData.Resnet8(), QuanosData.Resnet8(int8: true), seeds);

        cmp.Original.Seeds.Select(s => s.Id).Should().Equal(cmp.Compressed.Seeds.Select(s => s.Id));
        cmp.Original.Model.Should().EndWith("resnet8.onnx");
        cmp.Compressed.Model.Should().EndWith("resnet8-int8.onnx");
        (cmp.LessRobust + cmp.MoreRobust + cmp.EquallyRobust).Should().Be(2);
        var int8 = QuanosData.Resnet8(int8: true);
        for (int i = 0; i < 2; i++)
            cmp.TransferPredictions[i].Should().Be(QuanosData.Predict(int8, cmp.Original.Seeds[i].Adversarial));
        cmp.Original.Queries.Should().Be(2 * (1 + 101 + 9));
    }

    [Fact]
    public void A_reference_estimator_adds_the_cosine_to_finite_differences()
    {
        var model = QuanosData.CnnPytorch();
        var analyzer = new RobustnessAnalyzer(new SpsaGradient(100), new RobustnessOptions { Epsilon = 0.1, Grid = 4 }, reference: new FiniteDifferenceGradient());

        var report = analyzer.Analyze(model, QuanosData.Mnist(3));

        report.MeanCosineToReference.Should().BeInRange(0.2, 0.5, "theory 1/sqrt(1 + 783/100) = 0.34");
        report.Seeds.Should().OnlyContain(s => s.SignAgreementToReference > 0.5);
        report.Queries.Should().Be(3 * (1 + 201 + 5), "the reference estimator's probes are not counted");
    }
}
