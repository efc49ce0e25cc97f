using Dflare.Models;
using Dflare.Quanos;

namespace Dflare.Tests.Quanos;

/// <summary>The adversarial loss is computed in double so confident predictions keep a usable, differentiable loss.</summary>
public sealed class QuanosLossTests
{
    [Fact]
    public void The_loss_of_a_confident_prediction_is_positive_and_matches_the_exact_value_where_float32_gives_zero()
    {
        float[] logits = [31f, 2f, -3f, 0.5f];
        // Exact: log(1 + e^{-29} + e^{-34} + e^{-30.5}) ≈ e^{-29} + e^{-34} + e^{-30.5} (second-order terms ~1e-25).
        double exact = Math.Exp(-29) + Math.Exp(-34) + Math.Exp(-30.5);

        var loss = AdversarialLoss.CrossEntropy(logits, 0, OutputKind.Logits);

        loss.Should().BeApproximately(exact, exact * 1e-12);
        // The naive float32 route loses it entirely.
        float naive = -MathF.Log(OnnxClassifier.Softmax(logits)[0]);
        naive.Should().Be(0f);
        // And a one-ulp-scale change of a competitor logit still changes the loss.
        float[] moved = [31f, 2.001f, -3f, 0.5f];
        AdversarialLoss.CrossEntropy(moved, 0, OutputKind.Logits).Should().BeGreaterThan(loss);
    }

    [Fact]
    public void The_loss_when_a_competitor_leads_equals_the_log_sum_exp_form()
    {
        float[] logits = [1.5f, 4f, -2f, 3.25f];
        double lse = Math.Log(logits.Sum(z => Math.Exp(z)));

        AdversarialLoss.CrossEntropy(logits, 0, OutputKind.Logits).Should().BeApproximately(lse - 1.5, 1e-12);
        AdversarialLoss.CrossEntropy(logits, 1, OutputKind.Logits).Should().BeApproximately(lse - 4, 1e-12);
    }

    [Fact]
    public void The_probability_form_equals_minus_log_p_and_keeps_small_competitors_when_p_rounds_to_one()
    {
        float[] p = [0.7f, 0.2f, 0.1f];
        AdversarialLoss.CrossEntropy(p, 1, OutputKind.Probabilities).Should().BeApproximately(-Math.Log(0.2), 1e-6);

        float[] confident = [1f, 3e-9f, 1e-9f];
        var loss = AdversarialLoss.CrossEntropy(confident, 0, OutputKind.Probabilities);
        loss.Should().BeApproximately(4e-9, 1e-15);
        // (The plain form −log p_y would see no loss at all here: confident[0] is exactly 1 in float32.)

        float[] zero = [0f, 1f];
        double floored = AdversarialLoss.CrossEntropy(zero, 0, OutputKind.Probabilities);
        double.IsFinite(floored).Should().BeTrue();
        floored.Should().BeApproximately(-Math.Log(AdversarialLoss.ProbabilityFloor), 1e-9);
    }

    [Fact]
    public void A_non_finite_output_or_a_bad_target_is_a_clear_error()
    {
        var nan = () => AdversarialLoss.CrossEntropy([1f, float.NaN], 0, OutputKind.Logits);
        nan.Should().Throw<DflareException>().WithMessage("*non-finite*");
        var target = () => AdversarialLoss.CrossEntropy([1f, 2f], 2, OutputKind.Logits);
        target.Should().Throw<ArgumentOutOfRangeException>();
    }
}
