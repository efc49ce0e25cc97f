using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;

namespace Dflare.Tests.Quanos;

/// <summary>Bad budgets, settings and seeds give clear errors.</summary>
public sealed class QuanosBadInputTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(double.NaN)]
    public void An_epsilon_outside_0_1_is_rejected_with_the_unit_named(double epsilon)
    {
        var fgsm = () => new FgsmOptions { Epsilon = epsilon }.Validate();
        fgsm.Should().Throw<DflareException>().WithMessage("epsilon must be in (0, 1) in [0,1] pixel units*got *");

        var analyzer = () => new RobustnessAnalyzer(new FiniteDifferenceGradient(), new RobustnessOptions { Epsilon = epsilon });
        analyzer.Should().Throw<DflareException>().WithMessage("epsilon must be in (0, 1)*");
    }

    [Fact]
    public void An_epsilon_check_happens_before_any_model_query()
    {
        var model = QuanosData.CnnPytorch();
        var act = () => new Fgsm(new FiniteDifferenceGradient()).Attack(model, QuanosData.Mnist(1), new FgsmOptions { Epsilon = 1.5 });
        act.Should().Throw<DflareException>().WithMessage("*got 1.5*");
        model.Queries.Should().Be(0);
    }

    [Fact]
    public void Other_bad_settings_are_rejected()
    {
        ((Action)(() => _ = new SpsaGradient(0))).Should().Throw<DflareException>().WithMessage("*sample count must be positive*got 0*");
        ((Action)(() => _ = new SpsaGradient(-3))).Should().Throw<DflareException>().WithMessage("*got -3*");
        ((Action)(() => _ = new FiniteDifferenceGradient(0))).Should().Throw<DflareException>().WithMessage("*step*");
        ((Action)(() => new FgsmOptions { Epsilon = 0.1, Steps = 0 }.Validate())).Should().Throw<DflareException>().WithMessage("*steps*");
        ((Action)(() => new FgsmOptions { Epsilon = 0.1, StepSize = 0 }.Validate())).Should().Throw<DflareException>().WithMessage("*step size*");
        ((Action)(() => new RobustnessOptions { Epsilon = 0.1, Grid = 0 }.Validate())).Should().Throw<DflareException>().WithMessage("*grid*");
        ((Action)(() => new RobustnessOptions { Epsilon = 0.1, MaxEpsilon = 1 }.Validate())).Should().Throw<DflareException>().WithMessage("max epsilon must be in (0, 1)*");
    }

    [Fact]
    public void Seeds_of_the_wrong_size_are_a_clear_error_naming_the_seed_and_both_sizes()
    {
        var resnet = QuanosData.Resnet8();
        var mnist = QuanosData.Mnist(2);

        var fgsm = () => new Fgsm(new FiniteDifferenceGradient()).Attack(resnet, mnist, new FgsmOptions { Epsilon = 0.1 });
        fgsm.Should().Throw<DflareException>().WithMessage("Seed '0': Image of 28x28 does not fit model*resnet8.onnx*32x32*");

        var robust = () => new RobustnessAnalyzer(new SpsaGradient(4), new RobustnessOptions { Epsilon = 0.1 }).Analyze(resnet, mnist);
        robust.Should().Throw<DflareException>().WithMessage("*28x28*32x32*");

        var cnn = QuanosData.CnnPytorch();
        var wrongLength = () => new FiniteDifferenceGradient().Estimate(cnn, [new GradientQuery("x", new float[100], 0)]);
        wrongLength.Should().Throw<DflareException>().WithMessage("Image 'x' has 100 values but model*takes 28x28x1 = 784*");
        var badTarget = () => new SpsaGradient(2).Estimate(cnn, [new GradientQuery("x", new float[784], 10)]);
        badTarget.Should().Throw<DflareException>().WithMessage("Target class 10*0..9*");
        var nan = new float[784]; nan[5] = float.NaN;
        var badPixel = () => new SpsaGradient(2).Estimate(cnn, [new GradientQuery("x", nan, 1)]);
        badPixel.Should().Throw<DflareException>().WithMessage("*non-finite*");
    }

    [Fact]
    public void The_label_loss_on_an_unlabelled_seed_is_a_clear_error()
    {
        var cnn = QuanosData.CnnPytorch();
        var input = new AttackInput("unlabelled-7", new float[784], null);

        var act = () => new Fgsm(new SpsaGradient(2)).Attack(cnn, [input], new FgsmOptions { Epsilon = 0.1, Loss = AttackLoss.Label });

        act.Should().Throw<DflareException>().WithMessage("Seed 'unlabelled-7' has no label*");
    }
}
