using Dflare.Datasets;
using Dflare.Images;
using Dflare.Localization;
using Dflare.Models;
using Dflare.Onnx;
using Dflare.Onnx.Proto;
using Dflare.Repair;
using Dflare.Tests.Localization;
using Dflare.Tests.Onnx;

namespace Dflare.Tests.Repair;

public sealed class RepairTests(ITestOutputHelper output)
{
    private static ValueInfoProto Value(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    /// <summary>x [N,1,2,2] → Conv 1×1 (2 output channels, weights <paramref name="w"/>, bias <paramref name="b"/>) → c [N,2,2,2] → Flatten → y [N,8] (a class-vector output, channel-major).</summary>
    private static OnnxModel Conv1x1(float[] w, float[] b, string name)
    {
        var proto = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var g = proto.Graph;
        g.Input.Add(Value("x", "N", 1, 2, 2));
        g.Output.Add(Value("y", "N", 8));
        g.Initializer.Add(OnnxTensors.FromFloats("W", [2, 1, 1, 1], w));
        g.Initializer.Add(OnnxTensors.FromFloats("B", [2], b));
        g.Node.Add(GraphEditor.Node("Conv", "conv", ["x", "W", "B"], ["c"]));
        g.Node.Add(GraphEditor.Node("Flatten", "flatten", ["c"], ["y"]));
        return OnnxModel.FromProto(proto, name);
    }

    [Fact]
    public void Bias_correction_adds_exactly_the_mean_pre_activation_error_per_channel()
    {
        float[] w = [0.5f, -2f], b = [0.1f, 0.2f], wq = [0.75f, -1.5f];
        var original = Conv1x1(w, b, "original");
        var compressed = Conv1x1(wq, b, "compressed");
        byte[][] pixels = [[0, 51, 102, 255], [10, 20, 30, 40], [200, 100, 50, 25]];
        var images = pixels.Select(p => new Image(2, 2, 1, p)).ToList();
        double meanX = pixels.SelectMany(p => p).Average(v => v / 255.0);

        var result = Repairer.Repair(new RepairInputs { Original = original, Compressed = compressed, Seeds = images.Take(1).ToList(), Deviations = images.Skip(1).ToList() },
            new RepairSettings { Method = RepairMethod.BiasCorrection });

        // y_c = W_c·x + B_c, so the mean error of channel c over every image and position is (W_c − W'_c)·mean(x).
        var conv = result.Model.Graph.Node.Single(n => n.OpType == "Conv");
        var bias = OnnxTensors.ToFloats(result.Model.Initializer(conv.Input[2]));
        for (int c = 0; c < 2; c++) bias[c].Should().BeApproximately((float)(b[c] + (w[c] - wq[c]) * meanX), 1e-6f, $"channel {c}");
        result.Model.Graph.Initializer.Select(t => t.Name).Should().NotContain("B", "the old bias is unused and removed");
        result.Changes.Should().ContainSingle(c => c.Contains("bias corrected (float)"));
        // After the correction the mean output of the two models agrees per channel.
        using var a = OnnxClassifier.FromBytes(original.ToBytes(), "a");
        using var r = OnnxClassifier.FromBytes(result.Model.ToBytes(), "r");
        var (ya, yr) = (a.PredictScores(images), r.PredictScores(images));
        for (int c = 0; c < 2; c++)
            ((double)ya.Average(row => row.Skip(4 * c).Take(4).Average())).Should().BeApproximately(yr.Average(row => row.Skip(4 * c).Take(4).Average()), 1e-5);
    }

    [Theory]
    [InlineData("int8-static")]
    [InlineData("prune:0.5")]
    [InlineData("int8")]
    public void Fallback_of_the_first_layer_gives_the_originals_output_on_that_layer(string method)
    {
        var e = SharedModels.Get("cnn-pytorch");
        var original = OnnxModel.Load(SharedData.Require(e.Path));
        var compressed = TensorMatcherTests.Compress(original, method);
        var images = SharedModels.Images(e, 8);
        var m = TensorMatcher.Match(original, compressed).Matched[0];
        m.Name.Should().Be("/conv1/Conv");
        var restored = compressed.Clone();

        var what = GraphRepairs.RestoreLayer(restored, original, m);
        output.WriteLine(what);

        float[][] Read(OnnxModel model, string tensor)
        {
            using var reader = ActivationReader.Create(model, e.Options, [tensor], disableOptimizations: true);
            return reader.Read(images)[tensor].Rows;
        }
        var want = Read(original, "/conv1/Conv_output_0");
        var before = Read(compressed, m.CompressedTensor);
        var after = Read(restored, "/conv1/Conv_output_0");
        double Max(float[][] x) => x.Zip(want).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
        Max(before).Should().BeGreaterThan(1e-3, "the compressed layer differs");
        Max(after).Should().BeLessThan(1e-5, "the restored layer computes what the original's does");
        if (method == "int8-static")
            restored.Graph.Node.Should().NotContain(n => n.OpType == "DequantizeLinear" && n.Output[0] == m.CompressedTensor, "its output Q/DQ pair is gone");
        using var session = SessionCache.CreateSession(restored.ToBytes(), "restored");
    }

    /// <summary>The real resnet8 / int8 pair with CIFAR-10 test images 0..15 as seeds; the pair disagrees on test images 178, 226, 265, 439 (shared/README.md): they serve as the deviations.</summary>
    private static RepairInputs RealPairInputs()
    {
        var e = SharedModels.Get("resnet8");
        var cifar = SeedSource.Open(SharedData.Require(SharedModels.Cifar));
        return new RepairInputs
        {
            Original = OnnxModel.Load(SharedData.Require(e.Path)),
            Compressed = OnnxModel.Load(SharedData.Require("models/cifar10/resnet8-int8.onnx")),
            Seeds = cifar.Enumerate(0, 16).Select(s => s.Image).ToList(),
            Deviations = new[] { 178, 226, 265, 439 }.Select(i => cifar.Enumerate(i, 1).Single().Image).ToList(),
            OriginalOptions = e.Options, CompressedOptions = e.Options,
        };
    }

    [Fact]
    public void Every_method_on_the_real_QOperator_pair_gives_a_model_ORT_runs_or_a_clear_refusal()
    {
        var inputs = RealPairInputs();

        foreach (var method in new[] { RepairMethod.Fallback, RepairMethod.BiasCorrection, RepairMethod.HeadRefit })
        {
            var r = Repairer.Repair(inputs, new RepairSettings { Method = method });
            output.WriteLine($"{method}: {r.DeviationsBefore} -> {r.DeviationsAfter} of {r.RepairSetSize}, {r.BytesBefore} -> {r.BytesAfter} B\n  " + string.Join("\n  ", r.Changes));
            r.DeviationsBefore.Should().Be(4);
            r.DeviationsAfter.Should().BeLessThanOrEqualTo(r.DeviationsBefore, $"{method} never makes the repair set worse here");
            using var session = SessionCache.CreateSession(r.Model.ToBytes(), method.ToString());
            session.OutputMetadata.Keys.Should().Equal("76");
        }
        var fallback = Repairer.Repair(inputs, new RepairSettings { Method = RepairMethod.Fallback });
        fallback.DeviationsAfter.Should().BeLessThan(4, "restoring the most damaging layers to float removes some deviations");
        var act = () => Repairer.Repair(inputs, new RepairSettings { Method = RepairMethod.Recalibrate });
        act.Should().Throw<DflareException>().WithMessage("*Re-calibration applies to static int8 QDQ models*");
    }

    [Fact]
    public void Head_refit_keeps_the_quantization_grid_of_the_compressed_heads_input_and_output_unless_asked_for_a_float_head()
    {
        var inputs = RealPairInputs();
        var (e, compressed, seeds) = (SharedModels.Get("resnet8"), inputs.Compressed, inputs.Seeds);
        // INC's head: QLinearMatMul + QLinearAdd → DequantizeLinear('76_quantized', 76_scale, 76_zero_point) → '76'.
        float scale = OnnxTensors.ToFloats(compressed.FindInitializer("76_scale")!)[0];
        double OffGrid(OnnxModel model)
        {
            using var reader = ActivationReader.Create(model, e.Options, ["76"], disableOptimizations: false);
            return reader.Read(seeds)["76"].Rows.SelectMany(r => r).Max(v => Math.Abs(v / scale - Math.Round(v / scale)));
        }

        var kept = Repairer.Repair(inputs, new RepairSettings { Method = RepairMethod.HeadRefit });
        var gemm = kept.Model.Graph.Node.Single(n => n.OpType == "Gemm");
        kept.Model.Producer(gemm.Input[0])!.OpType.Should().Be("DequantizeLinear", "the refit head reads the features on the grid the QLinearMatMul read them");
        kept.Model.Consumers(gemm.Output[0]).Single().Node.OpType.Should().Be("QuantizeLinear");
        OffGrid(kept.Model).Should().BeLessThan(1e-3, "the logits are put back on the compressed head's output grid (zero point 93 is an integer)");
        kept.DeviationsAfter.Should().BeLessThanOrEqualTo(kept.DeviationsBefore);

        var floatHead = Repairer.Repair(inputs, new RepairSettings { Method = RepairMethod.HeadRefit, FloatHead = true });
        var fg = floatHead.Model.Graph.Node.Single(n => n.OpType == "Gemm");
        floatHead.Model.Producer(fg.Input[0])!.OpType.Should().Be("ReduceMean", "a float head reads the float features");
        floatHead.Model.Graph.Output.Single().Name.Should().Be("76");
        OffGrid(floatHead.Model).Should().BeGreaterThan(0.05, "a float head's logits are not on the grid");
    }

    [Fact]
    public void Ranking_on_the_seeds_puts_the_only_compressed_layer_first()
    {
        var e = SharedModels.Get("cnn-pytorch");
        var original = OnnxModel.Load(SharedData.Require(e.Path));
        var compressed = TensorMatcherTests.Compress(original, "prune:0.5");
        // Restore every layer but conv2: only conv2 differs from the original, so the clean error first appears there.
        foreach (var name in TensorMatcher.Match(original, compressed).Matched.Where(m => m.OriginalLayer is not null && m.Name != "/conv2/Conv").Select(m => m.Name).ToList())
            GraphRepairs.RestoreLayer(compressed, original, TensorMatcher.Match(original, compressed).Matched.First(m => m.Name == name));

        var ranking = Repairer.RankOnSeeds(original, compressed, e.Options, e.Options, SharedModels.Images(e, 8));

        ranking.Select(m => m.Name).Should().HaveCount(4).And.StartWith("/conv2/Conv");
    }

    [Fact]
    public void Ordered_fallback_restores_exactly_the_first_layers_of_the_ranking()
    {
        var inputs = RealPairInputs();

        var r = Repairer.Repair(inputs, new RepairSettings { Method = RepairMethod.Fallback, FallbackMode = FallbackMode.Ordered, MaxLayers = 2 });
        output.WriteLine(string.Join("\n", r.Changes));

        var ranking = r.Changes[0][(r.Changes[0].IndexOf("): ", StringComparison.Ordinal) + 3)..].Split(" > ");
        ranking.Should().HaveCount(10, "the real pair has 10 weighted layers");
        var restored = r.Changes.Where(c => c.Contains("replaced by DequantizeLinear", StringComparison.Ordinal)).Select(c => c[..c.IndexOf(':', StringComparison.Ordinal)]).ToList();
        if (r.DeviationsAfter > 0)
        {
            restored.Should().Equal(ranking.Take(2), "ordered mode restores the top of the ranking whether or not each step helps");
            r.Changes.Should().Contain("layer limit reached (2 restored)");
        }
        else restored.Should().Equal(ranking.Take(restored.Count));
        r.Model.Graph.Node.Count(n => n.OpType == "QLinearConv" || n.OpType == "QLinearMatMul").Should().Be(
            inputs.Compressed.Graph.Node.Count(n => n.OpType == "QLinearConv" || n.OpType == "QLinearMatMul") - restored.Count);
        var bad = () => Repairer.Repair(inputs, new RepairSettings { Method = RepairMethod.Fallback, MaxLayers = -1 });
        bad.Should().Throw<DflareException>().WithMessage("*layer limit*");
    }

    [Fact]
    public void Activation_fallback_keeps_the_integer_weights_removes_every_activation_rounding_and_moves_the_logits_toward_the_original()
    {
        var inputs = RealPairInputs();
        var e = SharedModels.Get("resnet8");

        var r = Repairer.Repair(inputs, new RepairSettings { Method = RepairMethod.ActivationFallback });
        output.WriteLine(string.Join("\n", r.Changes) + $"\n{r.DeviationsBefore} -> {r.DeviationsAfter}, {r.BytesBefore} -> {r.BytesAfter} B");

        r.Model.Graph.Node.Should().NotContain(n => n.OpType.StartsWith("QLinear", StringComparison.Ordinal) || n.OpType == "QuantizeLinear",
            "every quantized operator computes in float and every activation's rounding is gone");
        r.Model.Graph.Node.Should().Contain(n => n.OpType == "Clip", "the ranges stay");
        foreach (var t in inputs.Compressed.Graph.Initializer.Where(t => t.DataType == 3 && t.Dims.Count == 4))
            r.Model.Initializer(t.Name).RawData.Should().Equal(t.RawData, $"the int8 weight '{t.Name}' is kept as stored");
        r.BytesAfter.Should().BeLessThan(r.BytesBefore + r.BytesBefore / 10, "the weights stay 8-bit");
        double Sqnr(OnnxModel model)
        {
            using var a = OnnxClassifier.FromBytes(inputs.Original.ToBytes(), "a", e.Options);
            using var b = OnnxClassifier.FromBytes(model.ToBytes(), "b", e.Options);
            var (ya, yb) = (a.PredictScores(inputs.Seeds), b.PredictScores(inputs.Seeds));
            return ya.Zip(yb).Average(p => Localizer.Compare(p.First, p.Second).Sqnr);
        }
        double before = Sqnr(inputs.Compressed), after = Sqnr(r.Model);
        output.WriteLine($"logit SQNR on the seeds: {before:F1} -> {after:F1} dB");
        after.Should().BeGreaterThan(before + 3, "without the activation rounding the logits are much closer to the original's");

        var pruned = TensorMatcherTests.Compress(OnnxModel.Load(SharedData.Require(SharedModels.Get("cnn-pytorch").Path)), "prune:0.5");
        var act = () => ActivationFallback.Apply(pruned);
        act.Should().Throw<DflareException>().WithMessage("*has no quantized activation*");
    }

    [Fact]
    public void Activation_fallback_with_dropped_ranges_keeps_only_the_relus_and_follows_the_original_where_the_ranges_saturate()
    {
        var inputs = RealPairInputs();
        var e = SharedModels.Get("resnet8");
        var (ranged, dropped) = (inputs.Compressed.Clone("ranged"), inputs.Compressed.Clone("dropped"));
        ActivationFallback.Apply(ranged);
        output.WriteLine(string.Join("\n", ActivationFallback.Apply(dropped, dropRanges: true)));

        dropped.Graph.Node.Should().NotContain(n => n.OpType == "Clip" || n.OpType == "QuantizeLinear" || n.OpType.StartsWith("QLinear", StringComparison.Ordinal));
        dropped.Graph.Node.Count(n => n.OpType == "Relu").Should().Be(ranged.Graph.Node.Count(n => n.OpType == "Clip" && ranged.FindInitializer(n.Input[1]) is { } lo && OnnxTensors.ToFloats(lo)[0] == 0),
            "a Relu exactly where the kept range started at 0");
        foreach (var t in inputs.Compressed.Graph.Initializer.Where(t => t.DataType == 3 && t.Dims.Count == 4))
            dropped.Initializer(t.Name).RawData.Should().Equal(t.RawData, $"the int8 weight '{t.Name}' is kept as stored");
        var head = TensorMatcher.Match(inputs.Original, dropped).Matched.Last(m => m.OriginalLayer is not null);
        dropped.Producer(head.CompressedTensor)!.OpType.Should().Be("Add", "the split Gemm is compared after its bias Add, past the Identity between them");

        // Uniform noise images drive activations past the ranges the quantizer calibrated on natural images.
        var rng = new Random(11);
        var noise = Enumerable.Range(0, 16).Select(_ => { var px = new byte[32 * 32 * 3]; rng.NextBytes(px); return new Image(32, 32, 3, px); }).ToList();
        double Sqnr(OnnxModel model, IReadOnlyList<Image> images)
        {
            using var a = OnnxClassifier.FromBytes(inputs.Original.ToBytes(), "a", e.Options);
            using var b = OnnxClassifier.FromBytes(model.ToBytes(), "b", e.Options);
            var (ya, yb) = (a.PredictScores(images), b.PredictScores(images));
            return ya.Zip(yb).Average(p => Localizer.Compare(p.First, p.Second).Sqnr);
        }
        double seedsRanged = Sqnr(ranged, inputs.Seeds), seedsDropped = Sqnr(dropped, inputs.Seeds), noiseRanged = Sqnr(ranged, noise), noiseDropped = Sqnr(dropped, noise);
        output.WriteLine($"logit SQNR, seeds: ranges kept {seedsRanged:F1} dB, dropped {seedsDropped:F1} dB; noise: kept {noiseRanged:F1} dB, dropped {noiseDropped:F1} dB");
        seedsDropped.Should().BeApproximately(seedsRanged, 1, "natural images stay inside the ranges");
        noiseDropped.Should().BeGreaterThan(noiseRanged + 3, "on noise the saturated ranges were a large part of the error");
    }

    [Fact]
    public void The_layers_of_an_activation_fallback_model_match_the_originals_and_restoring_them_all_gives_the_originals_logits()
    {
        var inputs = RealPairInputs();
        var e = SharedModels.Get("resnet8");
        var act = inputs.Compressed.Clone("act");
        ActivationFallback.Apply(act);

        var match = TensorMatcher.Match(inputs.Original, act);
        match.UnmatchedOriginal.Should().BeEmpty();
        match.UnmatchedCompressed.Should().BeEmpty();
        var layers = match.Matched.Where(m => m.OriginalLayer is not null).ToList();
        layers.Should().HaveCount(10).And.OnlyContain(m => m.PairedBy == "name" && m.Form == MatchForm.Float && m.CompressedLayer!.Storage == WeightStorage.DequantizeLinear);
        var head = layers[^1];
        (head.OpType, head.CompressedOpType).Should().Be(("Gemm", "MatMul"));
        act.Producer(head.CompressedTensor)!.OpType.Should().Be("Add", "the head is compared after its bias Add, past the Clip between them");

        var restored = act.Clone("restored");
        foreach (var name in layers.Select(m => m.Name))
            output.WriteLine(GraphRepairs.RestoreLayer(restored, inputs.Original, TensorMatcher.Match(inputs.Original, restored).Matched.Single(m => m.Name == name)));
        restored.Graph.Node.Should().NotContain(n => n.OpType == "DequantizeLinear", "every weight and bias is the original's float one");
        double Sqnr(OnnxModel model)
        {
            using var a = OnnxClassifier.FromBytes(inputs.Original.ToBytes(), "a", e.Options);
            using var b = OnnxClassifier.FromBytes(model.ToBytes(), "b", e.Options);
            var (ya, yb) = (a.PredictScores(inputs.Seeds), b.PredictScores(inputs.Seeds));
            return ya.Zip(yb).Average(p => Localizer.Compare(p.First, p.Second).Sqnr);
        }
        double before = Sqnr(act), after = Sqnr(restored);
        output.WriteLine($"logit SQNR on the seeds: activation fallback {before:F1} dB, every layer restored {after:F1} dB");
        after.Should().BeGreaterThan(60, "only the activations' range clips remain, which these seeds do not reach");

        var chained = Repairer.Repair(inputs with { Compressed = act }, new RepairSettings { Method = RepairMethod.HeadRefit, Ridge = 1e6 });
        using var session = SessionCache.CreateSession(chained.Model.ToBytes(), "head-refit after activation fallback");
        session.OutputMetadata.Keys.Should().Equal("76");
    }

    [Fact]
    public void Ridge_recovers_an_exact_linear_map_and_a_huge_strength_keeps_the_prior()
    {
        var rng = new Random(7);
        float[] w = [1f, -2f, 0.5f, 3f, 0f, -1f]; // 3x2
        float[] b = [0.25f, -0.5f];
        var f = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 3).Select(_ => (float)rng.NextDouble()).ToArray()).ToArray();
        var y = f.Select(x => Enumerable.Range(0, 2).Select(j => b[j] + Enumerable.Range(0, 3).Sum(i => x[i] * w[i * 2 + j])).ToArray()).ToArray();
        var (fw, fb) = Ridge.Fit(f, y, new float[6], new float[2], 1e-9);
        fw.Zip(w).Should().OnlyContain(p => Math.Abs(p.First - p.Second) < 1e-3);
        fb.Zip(b).Should().OnlyContain(p => Math.Abs(p.First - p.Second) < 1e-3);
        Ridge.MeanSquaredError(f, y, fw, fb).Should().BeLessThan(1e-6);
        var (pw, _) = Ridge.Fit(f, y, w.Select(v => v + 1).ToArray(), b, 1e9);
        pw.Zip(w).Should().OnlyContain(p => Math.Abs(p.First - (p.Second + 1)) < 1e-3);
    }
}
