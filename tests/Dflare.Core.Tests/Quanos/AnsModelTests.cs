using Dflare.Compression;
using Dflare.Images;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Quanos;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Sensitivity;

namespace Dflare.Tests.Quanos;

/// <summary>ANS, hybrids and the facade on the real models in ../shared (small slices, cheap estimators).</summary>
public sealed class AnsModelTests
{
    private static readonly ModelOptions CnnOptions = new() { Mean = [0.5], Std = [0.5] };
    private static readonly ModelOptions ResnetOptions = new() { Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225] };
    private static string Cnn => SharedData.Require("models/mnist/cnn-pytorch.onnx");
    private static string Resnet => SharedData.Require("models/cifar10/resnet8.onnx");

    [Fact]
    public void Float_pixel_activations_equal_the_image_ones_on_whole_grey_levels_including_fixed_batch_padding()
    {
        foreach (var (path, options, seeds) in new[] { (Cnn, CnnOptions, QuanosData.Mnist(3)), (Resnet, ResnetOptions, QuanosData.Cifar(3)) })
        {
            var model = OnnxModel.Load(path);
            using var reader = ActivationReader.Create(model, options, WeightedLayers.Find(model, false).Select(l => l.OutputTensor));
            var images = seeds.Select(s => s.Image).ToList();
            var floats = images.Select(i => i.Pixels.Select(b => (float)b).ToArray()).ToList();

            var a = reader.Read(images);
            var b = reader.Read(floats);

            b.Keys.Should().BeEquivalentTo(a.Keys);
            foreach (var (name, rows) in a)
            {
                b[name].Rows.Should().HaveCount(3);
                for (int i = 0; i < 3; i++) b[name].Rows[i].Should().Equal(rows.Rows[i], $"{name} row {i} of {path}");
                b[name].Shape.Should().Equal(rows.Shape);
            }
        }
        var clf = OnnxClassifier.Load(Cnn, CnnOptions);
        ((Action)(() => ActivationReader.RunOutputs(clf, [new float[10]], [clf.Info.OutputName]))).Should().Throw<ArgumentException>().WithMessage("*10 values*784*");
    }

    [Fact]
    public void Ans_is_re_derived_independently_from_the_exposed_model_and_is_zero_for_x_adv_equal_to_x()
    {
        var cnn = ReDerive(Cnn, CnnOptions, QuanosData.Mnist(6), 0.1, new AnsAnalyzer());
        cnn.Layers.Select(l => l.Name).Should().Equal("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        cnn.Layers.Select(l => l.Op).Should().Equal("Conv", "Conv", "Gemm", "Gemm");
        // resnet8: fixed batch 16, and 5 seeds read 2 at a time (chunks of 4 images, padded to 16).
        var resnet = ReDerive(Resnet, ResnetOptions, QuanosData.Cifar(5), 8 / 255.0, new AnsAnalyzer(batch: 2));
        resnet.Layers.Should().HaveCount(10);
    }

    private static AnsReport ReDerive(string path, ModelOptions options, IReadOnlyList<Dflare.Datasets.Seed> seeds, double epsilon, AnsAnalyzer analyzer)
    {
        var model = OnnxModel.Load(path);
        var clf = OnnxClassifier.Load(path, options);
        var adv = new Fgsm(new SpsaGradient(10)).Attack(clf, seeds, new FgsmOptions { Epsilon = epsilon });
        var clean = adv.Select(a => a.Clean).ToList();
        var xAdv = adv.Select(a => a.Adversarial).ToList();
        int n = seeds.Count;

        var report = analyzer.Analyze(model, options, clean, xAdv);

        report.Layers.Should().OnlyContain(l => l.Ans > 0 && double.IsFinite(l.Ans) && l.Seeds == n);
        report.Seeds.Should().Be(n);
        // Independently: expose the layer outputs, run each image on its own, average the ratios.
        var exposed = LayerExposer.Expose(model, report.Layers.Select(l => l.OutputTensor));
        using var ex = OnnxClassifier.FromBytes(exposed.ToBytes(), "exposed", options);
        var names = report.Layers.Select(l => l.OutputTensor).ToList();
        var c = clean.Select(x => ActivationReader.RunOutputs(ex, [x], names)).ToList();
        var a = xAdv.Select(x => ActivationReader.RunOutputs(ex, [x], names)).ToList();
        foreach (var l in report.Layers)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                var cr = c[i][l.OutputTensor].Rows[0];
                var ar = a[i][l.OutputTensor].Rows[0];
                double num = 0, den = 0;
                for (int j = 0; j < cr.Length; j++)
                {
                    double d = (double)ar[j] - cr[j];
                    num += d * d; den += (double)cr[j] * cr[j];
                }
                sum += Math.Sqrt(num / den);
            }
            // Batch composition may change ORT's last float bits; the mean agrees far below the reported precision.
            l.Ans.Should().BeApproximately(sum / n, 1e-5 * l.Ans, l.Name);
            l.Bits.Should().Be(BitAllocation.Bits(l.Ans, 16));
            l.Weights.Should().Be(WeightedLayers.Find(model).Single(w => w.Name == l.Name).WeightCount);
        }

        var zero = analyzer.Analyze(model, options, clean, clean);
        zero.Layers.Should().OnlyContain(l => l.Ans == 0 && l.Bits == 16 && !l.Clamped);
        return report;
    }

    [Fact]
    public void The_facade_measures_ans_builds_hybrids_that_run_and_gives_the_same_numbers_twice()
    {
        var seeds = QuanosData.Mnist(8);
        var options = new QuanosOptions { Epsilon = 0.1, Gradient = new SpsaGradient(8, seed: 5), Grid = 5 };

        var r = QuanosAnalysis.Run(Cnn, CnnOptions, seeds, options);
        var again = QuanosAnalysis.Run(Cnn, CnnOptions, seeds, options);

        r.Layers.Should().HaveCount(4);
        r.Layers.Should().OnlyContain(l => l.Ans >= 0 && double.IsFinite(l.Ans));
        again.Layers.Should().BeEquivalentTo(r.Layers, "the same inputs give the same ANS and bits");
        again.Variants.Select(Figures).Should().Equal(r.Variants.Select(Figures));
        r.Seeds.Should().Be(8);
        r.Estimator.Should().Be("spsa");
        r.QueriesPerGradient.Should().Be(17);
        r.CleanAccuracy.Should().Be(1.0);
        r.AdversarialAccuracy.Should().NotBeNull();
        r.HybridUnavailable.Should().BeNull();
        r.Variants.Select(v => v.Kind).Should().Equal(PrecisionKind.Float, PrecisionKind.AnsHybrid, PrecisionKind.ConstrainedHybrid,
            PrecisionKind.Uniform8, PrecisionKind.UniformAnsMean, PrecisionKind.UniformConstrainedMean);

        var hybrid = r.Variant(PrecisionKind.AnsHybrid)!;
        hybrid.Bits.Should().Equal(r.Bits);
        hybrid.Size.Bytes.Should().BeLessThan(r.Float.Size.Bytes);
        hybrid.SizeVsFloat.Should().BeApproximately(hybrid.Size.Bytes / r.Float.Size.Bytes, 1e-12);
        r.Variant(PrecisionKind.Uniform8)!.SizeVsUniform8.Should().Be(1);
        var kbar = (int)Math.Round(HybridPrecision.WeightedMeanBits(WeightedLayers.Find(OnnxModel.Load(Cnn)), r.Bits), MidpointRounding.AwayFromZero);
        r.Variant(PrecisionKind.UniformAnsMean)!.UniformBits.Should().Be(kbar);
        r.Variants.Where(v => v.Kind != PrecisionKind.Float).Should().OnlyContain(v => v.Robustness != null && v.AdversarialAccuracy != null);
        r.Claims.Should().HaveCount(2);
        r.Claims[0].AdversarialAccuracyDelta.Should().BeApproximately(hybrid.AdversarialAccuracy!.Value - r.Variant(PrecisionKind.UniformAnsMean)!.AdversarialAccuracy!.Value, 1e-12);
        foreach (var cl in r.Claims)
        {
            ((cl.HybridOnlyCorrect!.Value - cl.UniformOnlyCorrect!.Value) / 8.0).Should().BeApproximately(cl.AdversarialAccuracyDelta!.Value, 1e-12, "all 8 seeds are labelled");
            cl.PValue.Should().Be(QuanosClaim.McNemar(cl.HybridOnlyCorrect.Value, cl.UniformOnlyCorrect.Value));
            cl.Held.Should().Be(cl.AdversarialAccuracyDelta > 0 && cl.PValue < 0.05 && cl.CleanAccuracyDelta >= -0.01);
        }
        r.FloatFileBytes.Should().Be(new FileInfo(Cnn).Length);
        r.HybridFileBytes.Should().BeGreaterThan(r.Int8FileBytes!.Value, "the fake-quantized file keeps float weights");

        // The hybrid runs in ORT and is the fake-quantized model: every layer's weights sit on its own K-bit grid.
        using var h = OnnxClassifier.FromBytes(hybrid.Model.ToBytes(), "hybrid", CnnOptions);
        var inputs = AttackInput.From(h, seeds);
        var rows = h.PredictScores(inputs.Select(i => i.Pixels).ToList());
        rows.Select(x => Labels.ArgMax(x)).Zip(seeds).Count(p => p.First == p.Second.Label).Should().Be((int)Math.Round(hybrid.CleanAccuracy!.Value * 8));
        var original = OnnxModel.Load(Cnn);
        foreach (var l in WeightedLayers.Find(hybrid.Model))
        {
            var w = OnnxTensors.ToFloats(WeightedLayers.StoredWeight(hybrid.Model, l));
            var w0 = OnnxTensors.ToFloats(WeightedLayers.StoredWeight(original, l));
            var (stride, channels) = WeightedLayers.ChannelStride(l.WeightShape, l.OutputChannelAxis);
            w.Should().Equal(QuantMath.FakeQuantize(w0, stride, channels, r.Bits[l.Name]), l.Name);
        }
        // Building through bits-per-layer and the quick partial path give the same weights.
        HybridPrecision.Partial(original, r.Bits).ToBytes().Should().Equal(hybrid.Model.ToBytes());
    }

    private static string Figures(PrecisionVariant v) =>
        $"{v.Kind} {v.CleanAccuracy} {v.AdversarialAccuracy} {v.MedianFlipEpsilon} {v.Agreement} {v.RelativeOutputError:R} {v.TransferAccuracy} {v.Size}";

    [Fact]
    public void The_constrained_variant_repairs_a_model_the_pure_rule_wrecks_and_its_agreement_is_real()
    {
        var seeds = QuanosData.Mnist(12);
        // k_init 3 at ε = 0.3: the rule gives 2 bits everywhere (measured: 5 of 12 seeds change class).
        var options = new QuanosOptions { Epsilon = 0.3, Gradient = new SpsaGradient(20), KInit = 3, Tolerance = 0, Compare = false };

        var r = QuanosAnalysis.Run(Cnn, CnnOptions, seeds, options);

        var c = r.Constrained!;
        r.Layers.Should().OnlyContain(l => l.Bits == 2);
        r.Layers.Should().Contain(l => l.Clamped && l.RawBits < 2);
        c.StartFidelity.Disagreements.Should().BeGreaterThan(0);
        c.Met.Should().BeTrue();
        c.Fidelity.Disagreements.Should().Be(0);
        c.Steps.Should().NotBeEmpty();
        c.Start.Should().Equal(r.Bits);
        c.Bits.Keys.Should().BeEquivalentTo(r.Bits.Keys);
        c.Bits.Should().OnlyContain(kv => kv.Value >= r.Bits[kv.Key] && kv.Value <= 3);
        c.Bits.Sum(kv => kv.Value - r.Bits[kv.Key]).Should().Be(c.Steps.Count);
        r.Variant(PrecisionKind.AnsHybrid)!.Disagreements.Should().Be(c.StartFidelity.Disagreements);
        r.Variant(PrecisionKind.ConstrainedHybrid)!.Agreement.Should().Be(1);
        r.Variant(PrecisionKind.ConstrainedHybrid)!.Robustness.Should().BeNull("Compare = false attacks only the float model");
        r.Claims.Should().OnlyContain(cl => cl.Held == null);

        // Independently: the constrained hybrid agrees with the float model on every seed.
        var f = OnnxClassifier.Load(Cnn, CnnOptions);
        using var h = OnnxClassifier.FromBytes(HybridPrecision.Build(OnnxModel.Load(Cnn), c.Bits).ToBytes(), "constrained", CnnOptions);
        h.Predict(seeds.Select(s => s.Image).ToList()).Select(p => Labels.ArgMax(p))
            .Should().Equal(f.Predict(seeds.Select(s => s.Image).ToList()).Select(p => Labels.ArgMax(p)));
    }

    [Fact]
    public void Resnet8_gets_all_ten_layers_and_its_int8_twin_gets_ans_for_quantized_layers_but_no_hybrid()
    {
        var seeds = QuanosData.Cifar(4);
        var options = new QuanosOptions { Gradient = new SpsaGradient(6), Compare = false, Grid = 4 };

        var r = QuanosAnalysis.Run(Resnet, ResnetOptions, seeds, options);
        r.Options.Epsilon.Should().BeApproximately(8 / 255.0, 1e-15, "the default budget");
        r.Layers.Should().HaveCount(10);
        r.Layers.Select(l => l.Op).Should().Equal(Enumerable.Repeat("Conv", 9).Append("Gemm"));
        r.Layers.Should().OnlyContain(l => l.Ans > 0 && double.IsFinite(l.Ans) && l.Bits >= 2 && l.Bits <= 16);
        r.Variant(PrecisionKind.AnsHybrid)!.Size.Bytes.Should().BeLessThan(r.Float.Size.Bytes);

        var q = QuanosAnalysis.Run(SharedData.Require("models/cifar10/resnet8-int8.onnx"), ResnetOptions, seeds, options);
        q.Layers.Should().HaveCount(10);
        q.Layers.Should().OnlyContain(l => l.Op.StartsWith("QLinear", StringComparison.Ordinal) && l.Ans > 0 && double.IsFinite(l.Ans));
        q.HybridUnavailable.Should().Contain("float weights");
        q.Constrained.Should().BeNull();
        q.Variants.Should().ContainSingle(v => v.Kind == PrecisionKind.Float);
        q.Claims.Should().BeEmpty();
    }
}
