using Dflare.Models;
using Dflare.Search.Random;
using Dflare.Quanos;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;

namespace Dflare.Tests.Quanos;

/// <summary>FGSM from finite-difference gradients on real MNIST and CIFAR-10 models.</summary>
public sealed class QuanosFgsmTests
{
    private static readonly Fgsm FdFgsm = new(new FiniteDifferenceGradient());

    [Fact]
    public void Fd_fgsm_at_0_1_raises_the_loss_of_every_seed_and_flips_more_mnist_seeds_than_random_signs()
    {
        var model = QuanosData.CnnPytorch();
        var seeds = QuanosData.Mnist(40);

        var adv = FdFgsm.Attack(model, seeds, new FgsmOptions { Epsilon = 0.1 });

        adv.Should().HaveCount(40);
        adv.Should().OnlyContain(a => a.AdversarialLoss > 2 * a.CleanLoss, "the FGSM step along the estimated gradient raises the loss");
        int flips = adv.Count(a => a.Flipped);
        // Baseline: the same budget with random signs (a gradient that carries no information).
        var random = adv.Select(a =>
        {
            var r = Rng.For(3, a.Id);
            return Fgsm.Perturb(a.Clean, a.Clean.Select(_ => (r.NextUInt64() & 1) == 0 ? 1.0 : -1.0).ToArray(), 0.1);
        }).ToList();
        var randomRows = model.PredictScores(random);
        int randomFlips = adv.Where((a, i) => Labels.ArgMax(randomRows[i]) != a.CleanPrediction).Count();

        flips.Should().BeGreaterThanOrEqualTo(3, "measured 4 of these 40 (14 of the first 100) on this model");
        flips.Should().BeGreaterThan(randomFlips);
        adv.Should().OnlyContain(a => a.Linf <= 0.1 + 1e-6);
        adv.Should().OnlyContain(a => a.Queries == 1 + 1569 + 1);
    }

    [Fact]
    public void Fd_fgsm_flips_mnist8_seeds_at_0_1_through_its_fixed_batch_of_one()
    {
        var model = QuanosData.Mnist8();
        model.Info.FixedBatch.Should().Be(1);

        var adv = FdFgsm.Attack(model, QuanosData.Mnist(20), new FgsmOptions { Epsilon = 0.1 });

        adv.Count(a => a.Flipped).Should().BeGreaterThanOrEqualTo(2, "measured 4 of 20");
        adv.Should().OnlyContain(a => a.AdversarialLoss > a.CleanLoss);
        foreach (var a in adv.Where(a => a.Flipped))
            QuanosData.Predict(model, a.Adversarial).Should().Be(a.AdversarialPrediction).And.NotBe(a.CleanPrediction);
    }

    [Fact]
    public void Fd_fgsm_flips_resnet8_cifar_seeds_at_8_over_255_and_the_8_bit_image_is_the_float_one()
    {
        var model = QuanosData.Resnet8();
        var seeds = QuanosData.Cifar(2);

        var adv = FdFgsm.Attack(model, seeds, new FgsmOptions { Epsilon = 8 / 255.0 });

        adv.Should().OnlyContain(a => a.Flipped, "measured: 10 of the first 10 seeds flip (96 of 100; half of them below 1/255)");
        adv.Should().OnlyContain(a => a.Queries == 1 + 6145 + 1);
        foreach (var a in adv)
        {
            // Eight whole grey levels from an 8-bit image: rounding changes nothing.
            var img = a.ToImage();
            img.Pixels.Select(b => (float)b).Should().Equal(a.Adversarial);
            a.Adversarial.Zip(a.Clean).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 8.0001f);
        }
    }

    [Fact]
    public void Fd_fgsm_works_on_a_probability_output_nhwc_model()
    {
        var model = QuanosData.Squeezenet();
        model.Info.OutputKind.Should().Be(Dflare.Models.OutputKind.Probabilities);
        model.Info.Layout.Should().Be(Dflare.Models.TensorLayout.Nhwc);

        var adv = FdFgsm.Attack(model, QuanosData.Cifar(3), new FgsmOptions { Epsilon = 8 / 255.0 });

        adv.Should().OnlyContain(a => a.AdversarialLoss > a.CleanLoss + 1, "measured losses rise from 0.02–0.39 to 4.4–8.5");
        adv.Count(a => a.Flipped).Should().BeGreaterThanOrEqualTo(2, "measured 3 of 3");
    }

    [Fact]
    public void The_iterative_variant_stays_inside_the_eps_ball_and_pixel_range_and_flips_at_least_as_often()
    {
        var model = QuanosData.Mnist8();
        var seeds = QuanosData.Mnist(6);
        var single = FdFgsm.Attack(model, seeds, new FgsmOptions { Epsilon = 0.1 });

        var iter = FdFgsm.Attack(model, seeds, new FgsmOptions { Epsilon = 0.1, Steps = 4, StepSize = 0.05 });

        foreach (var a in iter)
        {
            a.Linf.Should().BeLessThanOrEqualTo(0.1 + 1e-6);
            a.Adversarial.Should().OnlyContain(v => v >= 0 && v <= 255);
            a.Steps.Should().BeInRange(1, 4);
            if (a.Steps < 4) a.Flipped.Should().BeTrue("an image stops early only once its class has changed");
            a.Queries.Should().Be(1 + a.Steps * (1569 + 1));
            QuanosData.Predict(model, a.Adversarial).Should().Be(a.AdversarialPrediction);
        }
        iter.Count(a => a.Flipped).Should().BeGreaterThanOrEqualTo(single.Count(a => a.Flipped));
        iter.Should().Contain(a => a.Linf > 0.05 + 1e-6, "several steps of 0.05 reach beyond one step");
    }

    [Fact]
    public void The_label_loss_targets_the_true_label()
    {
        var model = QuanosData.CnnPytorch();
        var seeds = QuanosData.Mnist(3);

        var adv = FdFgsm.Attack(model, seeds, new FgsmOptions { Epsilon = 0.05, Loss = AttackLoss.Label });

        adv.Select(a => a.Target).Should().Equal(seeds.Select(s => s.Label!.Value));
        adv.Should().OnlyContain(a => a.AdversarialLoss > a.CleanLoss);
    }
}
