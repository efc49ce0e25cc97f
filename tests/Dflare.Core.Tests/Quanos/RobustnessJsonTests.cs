using System.Text.Json.Nodes;
using Dflare.Attacks;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Quanos.Adversarial;
using Dflare.Quanos.Gradients;
using Dflare.Quanos.Robustness;

namespace Dflare.Tests.Quanos;

/// <summary>
/// <c>robustness.json</c> as Core writes it: the document says what the measured <see cref="ModelRobustness"/> says,
/// holds only the settings of the attacks that ran, and the file is the indented document plus a newline.
/// </summary>
public sealed class RobustnessJsonTests : IDisposable
{
    private static readonly ModelOptions Demo = new() { Scale = 1 / 255.0, Mean = [0.5], Std = [0.5], Layout = TensorLayout.Nchw, OutputKind = OutputKind.Logits };
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-robustness-json-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_document_describes_the_compared_pair_it_was_given_and_the_file_holds_it()
    {
        using var original = OnnxClassifier.Load(QuantizedLogits.DemoModel, Demo);
        using var rounded = OnnxClassifier.FromBytes(QuantizedLogits.Build(1f), "lenet-rounded-logits", Demo);
        var inputs = AttackInput.From(original, SeedSource.Open(QuantizedLogits.DemoSeeds).Load(0, 8));
        var options = new RobustnessOptions { Epsilon = 0.05, Grid = 4 };
        var gradient = new FiniteDifferenceGradient();
        var square = new SquareAttackOptions { QueriesPerSeed = 50, Seed = 1 };
        var pair = new RobustnessCheck([new RobustnessAnalyzer(gradient, options)]).Compare(original, rounded, inputs);

        var json = RobustnessJson.ToJson(options, ["fgsm"], gradient, square, 3, original.Info.ImageLength, inputs.Count, pair.Original, pair.Compressed, cosine: false);
        var path = RobustnessJson.Write(_dir, json);

        path.Should().Be(Path.Combine(_dir, "robustness.json"));
        var text = File.ReadAllText(path);
        text.Should().EndWith("}\n").And.Contain("\n  \"epsilon\": 0.05,");
        JsonNode.DeepEquals(JsonNode.Parse(text), json).Should().BeTrue("the file holds the document");

        json["square"].Should().BeNull("the Square Attack did not run");
        json["attacks"]!.AsArray().Select(a => a!.GetValue<string>()).Should().Equal(pair.Original.Attacks.Select(a => a.Attack));
        json["queriesPerGradient"]!.GetValue<int>().Should().Be(gradient.ProbesPerImage(original.Info.ImageLength));
        json["seeds"]!.GetValue<int>().Should().Be(8);

        var c = pair.Compressed;
        var compare = json["compare"]!;
        compare["flips"]!.GetValue<int>().Should().Be(c.Flips);
        compare["transfer"]!["flips"]!.GetValue<int>().Should().Be(c.TransferFlips!.Value);
        var perSeed = compare["perSeed"]!.AsArray();
        perSeed.Select(s => s!["transfer"]!.GetValue<int>()).Should().Equal(c.TransferPredictions!);
        perSeed.Select(s => s!["flipEpsilon"]?.GetValue<double>()).Should().Equal(c.FlipEpsilon);
        json["model"]!["transfer"].Should().BeNull("the original is not attacked with anyone else's images");
        compare["byAttack"]!.AsObject().Select(p => p.Key).Should().Equal(c.Attacks.Select(a => a.Attack));
        compare["byAttack"]!.AsObject().Single().Value!.AsObject().ContainsKey("meanCosineToFd").Should().BeFalse("no reference gradient was computed");

        // The comparison's counts partition the seeds, by the flip ε each model's per-seed entries report.
        double Eps(JsonNode? s) => s!["flipEpsilon"]?.GetValue<double>() ?? double.PositiveInfinity;
        var pairs = json["model"]!["perSeed"]!.AsArray().Zip(perSeed, (o, k) => (O: Eps(o), C: Eps(k))).ToList();
        var comparison = json["comparison"]!;
        comparison["lessRobust"]!.GetValue<int>().Should().Be(pairs.Count(p => p.C < p.O));
        comparison["moreRobust"]!.GetValue<int>().Should().Be(pairs.Count(p => p.C > p.O));
        comparison["equallyRobust"]!.GetValue<int>().Should().Be(pairs.Count(p => p.C == p.O));
        comparison["transferFlips"]!.GetValue<int>().Should().BeGreaterThan(0, "the float model's images flip the rounded one here");
        json["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).Should().Equal(pair.Original.Warnings.Concat(c.Warnings).Select(w => w.Message));
    }
}
