using Dflare.Attacks;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;

namespace Dflare.Tests.Quanos;

/// <summary>The Square Attack, its robustness figures, and gradient-masking detection on a model with coarsely quantized logits.</summary>
public sealed class SquareAttackTests
{
    private static readonly ModelOptions Demo = new() { Scale = 1 / 255.0, Mean = [0.5], Std = [0.5], Layout = TensorLayout.Nchw, OutputKind = OutputKind.Logits };

    private static OnnxClassifier Float() => OnnxClassifier.Load(QuantizedLogits.DemoModel, Demo);
    private static OnnxClassifier Rounded(float step = 2f) => OnnxClassifier.FromBytes(QuantizedLogits.Build(step), "lenet-rounded-logits", Demo);
    private static IReadOnlyList<AttackInput> Inputs(OnnxClassifier m, int count) => AttackInput.From(m, SeedSource.Open(QuantizedLogits.DemoSeeds).Load(0, count));

    private static List<SquareTarget> Targets(OnnxClassifier m, IReadOnlyList<AttackInput> inputs, double eps)
    {
        var rows = m.PredictScores(inputs.Select(x => x.Pixels).ToList());
        return inputs.Select((x, i) => new SquareTarget(x.Id, x.Pixels, Labels.ArgMax(rows[i]), eps)).ToList();
    }

    [Fact]
    public void Adversarial_images_stay_in_the_ball_and_what_is_reported_is_what_the_model_says()
    {
        using var model = Float();
        var inputs = Inputs(model, 8);
        var targets = Targets(model, inputs, 0.08);
        var results = new SquareAttack(new SquareAttackOptions { QueriesPerSeed = 150 }).Run(model, targets);

        results.Should().HaveCount(8);
        results.Count(r => r.Success).Should().BeGreaterThan(0, "a 20-grey-level ball flips some of these items");
        results.Count(r => r.Success).Should().BeLessThan(8, "and not all of them within 150 queries");
        for (int i = 0; i < 8; i++)
        {
            var (x0, r) = (targets[i].Pixels, results[i]);
            r.Queries.Should().BeInRange(1, 150);
            for (int k = 0; k < x0.Length; k++)
            {
                r.Adversarial[k].Should().BeInRange(0f, 255f);
                Math.Abs(r.Adversarial[k] - x0[k]).Should().BeLessThanOrEqualTo(255 * 0.08f + 1e-3f);
            }
            var row = model.PredictScores([r.Adversarial])[0];
            row.Should().Equal(r.Scores);
            r.Success.Should().Be(Labels.ArgMax(row) != targets[i].Target);
            r.Margin.Should().Be(SquareAttack.Margin(row, targets[i].Target, OutputKind.Logits));
            if (r.Success) r.Margin.Should().BeLessThanOrEqualTo(0);
            else r.Queries.Should().Be(150, "an image that never flips spends its whole budget");
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_lock_step_group_or_the_thread_count()
    {
        using var model = Float();
        using var oneThread = OnnxClassifier.Load(QuantizedLogits.DemoModel, Demo with { IntraOpThreads = 1, MaxBatch = 3 });
        var inputs = Inputs(model, 5);
        var targets = Targets(model, inputs, 0.03);
        var together = new SquareAttack(new SquareAttackOptions { QueriesPerSeed = 80, Seed = 7 }).Run(model, targets);
        var alone = new SquareAttack(new SquareAttackOptions { QueriesPerSeed = 80, Seed = 7, LockStep = 1 }).Run(oneThread, targets);
        var reversed = new SquareAttack(new SquareAttackOptions { QueriesPerSeed = 80, Seed = 7, LockStep = 2 }).Run(model, targets.AsEnumerable().Reverse().ToList()).Reverse().ToList();
        for (int i = 0; i < targets.Count; i++)
        {
            alone[i].Adversarial.Should().Equal(together[i].Adversarial);
            alone[i].Queries.Should().Be(together[i].Queries);
            alone[i].Accepted.Should().Be(together[i].Accepted);
            reversed[i].Adversarial.Should().Equal(together[i].Adversarial);
        }
        var other = new SquareAttack(new SquareAttackOptions { QueriesPerSeed = 80, Seed = 8 }).Run(model, targets);
        other.Zip(together).Should().Contain(p => !p.First.Adversarial.SequenceEqual(p.Second.Adversarial), "another run seed draws other squares");
    }

    [Fact]
    public void The_margin_is_the_logit_or_log_probability_gap_and_bad_settings_are_refused()
    {
        SquareAttack.Margin([1f, 3f, 2f], 1, OutputKind.Logits).Should().Be(1);
        SquareAttack.Margin([1f, 3f, 2f], 0, OutputKind.Logits).Should().Be(-2);
        SquareAttack.Margin([0.2f, 0.7f, 0.1f], 1, OutputKind.Probabilities).Should().BeApproximately(Math.Log(0.7f) - Math.Log(0.2f), 1e-12);
        var bad = () => new SquareAttack(new SquareAttackOptions { QueriesPerSeed = 0 });
        bad.Should().Throw<DflareException>().WithMessage("*at least 1 query per seed; got 0*");
        var p = () => new SquareAttack(new SquareAttackOptions { PInit = 0 });
        p.Should().Throw<DflareException>().WithMessage("*p_init must be in (0, 1]*");
    }

    [Fact]
    public void The_flip_eps_search_brackets_each_seed_by_attacks_that_really_flip()
    {
        using var model = Float();
        var inputs = Inputs(model, 8);
        var options = new RobustnessOptions { Epsilon = 0.03, MaxEpsilon = 0.15 };
        var report = new SquareRobustnessAnalyzer(options, new SquareAttackOptions { QueriesPerSeed = 100 }, flipSteps: 2).Analyze(model, inputs);

        report.Attack.Should().Be("square");
        foreach (var s in report.Seeds)
        {
            QuanosData.Predict(model, s.Adversarial).Should().Be(s.AdversarialPrediction);
            s.Queries.Should().BeInRange(2, 1 + 4 * 100, "the attack at ε, at the scan's end and two bisection steps at most");
            if (s.Flipped) s.FlipEpsilon.Should().BeLessThanOrEqualTo(0.03);
            else if (s.FlipEpsilon is { } e) e.Should().BeInRange(0.03, 0.12);
        }
        report.FlippedInScan.Should().BeGreaterThan(report.Flips, "some seeds need more than ε = 0.03 but flip by 0.12");
        // Two bisection steps: a seed flipped at ε ends on a quarter of ε; one flipped only at the end on ε + a quarter of the rest.
        foreach (var s in report.Seeds.Where(s => s.FlipEpsilon is not null))
        {
            double q = s.Flipped ? s.FlipEpsilon!.Value / (0.03 / 4) : (s.FlipEpsilon!.Value - 0.03) / (0.12 / 4);
            q.Should().BeApproximately(Math.Round(q), 1e-9);
        }
    }

    [Fact]
    public void Quantized_logits_are_detected_and_the_square_attack_flips_where_fd_fgsm_does_not()
    {
        using var model = Rounded(step: 1f);
        var inputs = Inputs(model, 10);
        var options = new RobustnessOptions { Epsilon = 0.1, Grid = 4 };
        var check = new RobustnessCheck([
            new SquareRobustnessAnalyzer(options, new SquareAttackOptions { QueriesPerSeed = 300 }, flipSteps: 0),
            new RobustnessAnalyzer(new FiniteDifferenceGradient(), options)]);
        var m = check.Analyze(model, inputs);

        var square = m.Attacks[0];
        var fgsm = m.Attacks[1];
        m.DistinctOutputShare.Should().BeLessThan(RobustnessCheck.QuantizedOutputShare);
        m.Warnings.Should().Contain(w => w.Kind == MaskingKind.QuantizedOutputs).Which.Message.Should().Contain("lenet-rounded-logits").And.Contain("quantized");
        fgsm.MeanZeroGradientShare.Should().BeGreaterThan(0.9, "one grey level cannot move a logit rounded to whole numbers");
        m.Warnings.Should().Contain(w => w.Kind == MaskingKind.ZeroGradients && w.Attack == "fd-fgsm");
        square.Flips.Should().BeGreaterThanOrEqualTo(fgsm.Flips + 3, "the Square Attack needs no gradient");
        // The model's figure is the worst case per seed: never better than either attack.
        m.Flips.Should().BeGreaterThanOrEqualTo(square.Flips);
        m.AdversarialAccuracy.Should().BeLessThanOrEqualTo(Math.Min(square.AdversarialAccuracy!.Value, fgsm.AdversarialAccuracy!.Value));

        // The float model: no masking.
        using var plain = Float();
        var f = new RobustnessCheck([new RobustnessAnalyzer(new FiniteDifferenceGradient(), options)]).Analyze(plain, Inputs(plain, 10));
        f.DistinctOutputShare.Should().BeGreaterThan(0.9);
        f.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void An_attack_that_fails_where_the_originals_images_transfer_is_named_and_the_transfer_counts()
    {
        using var original = Float();
        using var rounded = Rounded(step: 1f);
        var inputs = Inputs(original, 10);
        var options = new RobustnessOptions { Epsilon = 0.05, Grid = 4 };
        var pair = new RobustnessCheck([new RobustnessAnalyzer(new FiniteDifferenceGradient(), options)]).Compare(original, rounded, inputs);

        var c = pair.Compressed;
        c.TransferPredictions.Should().HaveCount(10);
        pair.Original.TransferPredictions.Should().BeNull();
        for (int i = 0; i < 10; i++)
            c.TransferPredictions![i].Should().Be(QuanosData.Predict(rounded, pair.Original.Attacks[0].Seeds[i].Adversarial));
        int missed = Enumerable.Range(0, 10).Count(i => !c.Attacks[0].Seeds[i].Flipped && c.TransferFlipped(i) == true);
        missed.Should().BeGreaterThan(0, "the float model's FGSM images flip the rounded model where its own masked FGSM does not");
        c.Warnings.Should().Contain(w => w.Kind == MaskingKind.AttackWeakerThanTransfer).Which.Message.Should().Contain($"{missed} of 10 seeds");
        c.Flips.Should().Be(Enumerable.Range(0, 10).Count(i => c.Attacks[0].Seeds[i].Flipped || c.TransferFlipped(i) == true));
        c.FlipEpsilon.Where((e, i) => c.TransferFlipped(i) == true).Should().OnlyContain(e => e <= 0.05);
    }
}
