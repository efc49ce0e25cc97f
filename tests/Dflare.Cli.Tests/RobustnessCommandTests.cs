using System.Text.Json;

namespace Dflare.Cli.Tests;

public sealed class RobustnessCommandTests : IDisposable
{
    private static readonly string[] CifarNorm = ["--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225"];
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-robustness-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] MnistCnn(params string[] more) =>
        ["robustness", SharedData.Require("models/mnist/cnn-pytorch.onnx"), "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"),
         "--mean", "0.5", "--std", "0.5", .. more];

    [Fact]
    public void Json_reports_the_settings_and_figures_that_agree_with_the_per_seed_results()
    {
        var r = CliRunner.Run(MnistCnn("--limit", "6", "--epsilon", "0.1", "--grid", "10", "--attack", "fgsm", "--json"));

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(r.StdOut);
        var o = doc.RootElement;
        o.GetProperty("epsilon").GetDouble().Should().Be(0.1);
        o.GetProperty("epsilonGreyLevels").GetDouble().Should().Be(25.5);
        o.GetProperty("maxEpsilon").GetDouble().Should().BeApproximately(0.4, 1e-12);
        o.GetProperty("grid").GetInt32().Should().Be(10);
        o.GetProperty("gradient").GetString().Should().Be("fd");
        o.GetProperty("queriesPerGradient").GetInt32().Should().Be(1569);
        o.GetProperty("seeds").GetInt32().Should().Be(6);
        o.GetProperty("compare").ValueKind.Should().Be(JsonValueKind.Null);
        o.GetProperty("attacks").EnumerateArray().Select(a => a.GetString()).Should().Equal("fd-fgsm");
        o.GetProperty("square").ValueKind.Should().Be(JsonValueKind.Null);
        var model = o.GetProperty("model");
        model.GetProperty("path").GetString().Should().EndWith("cnn-pytorch.onnx");
        model.GetProperty("cleanAccuracy").GetDouble().Should().Be(1.0);
        var m = model.GetProperty("byAttack").GetProperty("fd-fgsm");
        // One attack and no transfer: the model's figures are the attack's.
        model.GetProperty("flips").GetInt32().Should().Be(m.GetProperty("flips").GetInt32());
        model.GetProperty("adversarialAccuracy").GetDouble().Should().Be(m.GetProperty("adversarialAccuracy").GetDouble());
        var per = m.GetProperty("perSeed").EnumerateArray().ToArray();
        per.Should().HaveCount(6);
        per.Select(p => p.GetProperty("id").GetString()).Should().Equal("0", "1", "2", "3", "4", "5");
        int flips = per.Count(p => p.GetProperty("clean").GetInt32() != p.GetProperty("adversarial").GetInt32());
        m.GetProperty("flips").GetInt32().Should().Be(flips);
        m.GetProperty("flipRate").GetDouble().Should().BeApproximately(flips / 6.0, 1e-12);
        m.GetProperty("adversarialAccuracy").GetDouble().Should().BeApproximately(
            per.Count(p => p.GetProperty("label").GetInt32() == p.GetProperty("adversarial").GetInt32()) / 6.0, 1e-12);
        per.Should().OnlyContain(p => p.GetProperty("adversarialLoss").GetDouble() > p.GetProperty("cleanLoss").GetDouble());
        var flipEps = per.Where(p => p.GetProperty("flipEpsilon").ValueKind == JsonValueKind.Number).Select(p => p.GetProperty("flipEpsilon").GetDouble()).ToArray();
        m.GetProperty("flippedInScan").GetInt32().Should().Be(flipEps.Length).And.BeGreaterThan(0);
        flipEps.Should().OnlyContain(e => e > 0 && e <= 0.4 + 1e-12);
        m.GetProperty("queries").GetInt64().Should().Be(6 * (1 + 1569 + 11));
    }

    [Fact]
    public void Comparing_the_resnet8_pair_with_spsa_and_a_fraction_epsilon_writes_the_report_file()
    {
        var r = CliRunner.Run(["robustness", SharedData.Require("models/cifar10/resnet8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"), "--limit", "3",
            "--compare", SharedData.Require("models/cifar10/resnet8-int8.onnx"), .. CifarNorm,
            "--epsilon", "8/255", "--attack", "fgsm", "--gradient", "spsa", "--samples", "40", "--seed", "3", "--cosine", "--report", _dir, "--json"]);

        r.ExitCode.Should().Be(0, r.ToString());
        var file = Path.Combine(_dir, "robustness.json");
        File.Exists(file).Should().BeTrue();
        using var doc = JsonDocument.Parse(r.StdOut);
        using var saved = JsonDocument.Parse(File.ReadAllText(file));
        saved.RootElement.GetRawText().Replace(" ", "").Replace("\n", "").Should().Be(doc.RootElement.GetRawText().Replace(" ", ""));
        var o = doc.RootElement;
        o.GetProperty("epsilon").GetDouble().Should().BeApproximately(8 / 255.0, 1e-15);
        o.GetProperty("gradient").GetString().Should().Be("spsa");
        o.GetProperty("samples").GetInt32().Should().Be(40);
        o.GetProperty("queriesPerGradient").GetInt32().Should().Be(81);
        o.GetProperty("compare").GetProperty("path").GetString().Should().EndWith("resnet8-int8.onnx");
        var spsa = o.GetProperty("model").GetProperty("byAttack").GetProperty("spsa-fgsm");
        spsa.GetProperty("meanCosineToFd").GetDouble().Should().BeInRange(0.0, 0.5);
        spsa.GetProperty("perSeed").EnumerateArray().Should().OnlyContain(p => p.GetProperty("cosineToFd").GetDouble() > 0);
        var c = o.GetProperty("comparison");
        (c.GetProperty("lessRobust").GetInt32() + c.GetProperty("moreRobust").GetInt32() + c.GetProperty("equallyRobust").GetInt32()).Should().Be(3);
        c.GetProperty("transferFlips").GetInt32().Should().BeInRange(0, 3);
        c.GetProperty("transferAccuracy").ValueKind.Should().Be(JsonValueKind.Number);
    }

    [Fact]
    public void Human_output_prints_the_figures_of_both_models()
    {
        var r = CliRunner.Run(MnistCnn("--limit", "3", "--epsilon", "0.1", "--grid", "5", "--attack", "fgsm", "--gradient", "spsa", "--samples", "10",
            "--compare", SharedData.Require("models/mnist/cnn-pytorch.onnx")));

        r.ExitCode.Should().Be(0, r.ToString());
        var text = System.Text.RegularExpressions.Regex.Replace(r.StdOut, @"\s+", " "); // Spectre wraps at the console width
        text.Should().Contain("3 seeds from IDX").And.Contain("ε = 0.1 (25.5/255)").And.Contain("SPSA (10 samples")
            .And.Contain("adv. acc.").And.Contain("100.00%").And.Contain("transfer");
        // The same model twice: identical (deterministic) figures, so every seed is equally robust.
        text.Should().Contain("a smaller ε on 0 seeds, a larger one on 0, the same on 3");
    }

    [Fact]
    public void The_square_attack_is_the_default_and_its_figures_agree_with_the_per_seed_results()
    {
        var r = CliRunner.Run(MnistCnn("--limit", "4", "--epsilon", "0.1", "--queries", "60", "--flip-steps", "1", "--json"));

        r.ExitCode.Should().Be(0, r.ToString());
        using var doc = JsonDocument.Parse(r.StdOut);
        var o = doc.RootElement;
        o.GetProperty("attacks").EnumerateArray().Select(a => a.GetString()).Should().Equal("square");
        var sq = o.GetProperty("square");
        sq.GetProperty("queriesPerSeed").GetInt32().Should().Be(60);
        sq.GetProperty("pInit").GetDouble().Should().Be(0.3);
        sq.GetProperty("flipSteps").GetInt32().Should().Be(1);
        o.GetProperty("gradient").ValueKind.Should().Be(JsonValueKind.Null, "no FGSM ran");
        var model = o.GetProperty("model");
        model.GetProperty("distinctOutputShare").GetDouble().Should().BeGreaterThan(0.9, "a float model's logits move with every input");
        model.GetProperty("maskingSuspected").GetBoolean().Should().BeFalse();
        var a = model.GetProperty("byAttack").GetProperty("square");
        var per = a.GetProperty("perSeed").EnumerateArray().ToArray();
        per.Should().HaveCount(4);
        // The clean query, then at most three attacks (at ε, at the scan's end, one bisection step) of 60 queries each.
        per.Should().OnlyContain(p => p.GetProperty("queries").GetInt64() >= 2 && p.GetProperty("queries").GetInt64() <= 1 + 3 * 60);
        a.GetProperty("queries").GetInt64().Should().Be(per.Sum(p => p.GetProperty("queries").GetInt64()));
        a.GetProperty("flips").GetInt32().Should().Be(per.Count(p => p.GetProperty("clean").GetInt32() != p.GetProperty("adversarial").GetInt32()));
        model.GetProperty("flips").GetInt32().Should().Be(a.GetProperty("flips").GetInt32());
    }

    [Fact]
    public void A_model_with_quantized_logits_gets_a_masking_warning_in_the_console_and_the_json()
    {
        var onnx = QuantizedLogits.Write(_dir, step: 1f);
        string[] args = ["robustness", onnx, "--seeds", QuantizedLogits.DemoSeeds, "--limit", "4", "--epsilon", "0.1",
            "--attack", "all", "--grid", "4", "--queries", "50", "--flip-steps", "0"];

        var human = CliRunner.Run(args);
        human.ExitCode.Should().Be(0, human.ToString());
        var text = System.Text.RegularExpressions.Regex.Replace(human.StdOut, @"\s+", " ");
        text.Should().Contain("warning: lenet-rounded-logits.onnx: its outputs are quantized").And.Contain("is exactly 0 on")
            .And.Contain("worst");

        var json = CliRunner.Run([.. args, "--report", _dir, "--json"]);
        json.ExitCode.Should().Be(0, json.ToString());
        json.StdErr.Should().Contain("warning: lenet-rounded-logits.onnx: its outputs are quantized");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "robustness.json")));
        var m = doc.RootElement.GetProperty("model");
        m.GetProperty("maskingSuspected").GetBoolean().Should().BeTrue();
        m.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("kind").GetString()).Should().Contain(["QuantizedOutputs", "ZeroGradients"]);
        m.GetProperty("byAttack").GetProperty("fd-fgsm").GetProperty("meanZeroGradientShare").GetDouble().Should().BeGreaterThan(0.9);
        doc.RootElement.GetProperty("warnings").GetArrayLength().Should().BeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public void An_unknown_attack_exits_2_naming_the_choices()
    {
        var r = CliRunner.Run(MnistCnn("--limit", "1", "--epsilon", "0.1", "--attack", "pgd"));
        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("Unknown attack 'pgd' in --attack; use square, fgsm or all");
        var q = CliRunner.Run(MnistCnn("--limit", "1", "--epsilon", "0.1", "--queries", "0"));
        q.ExitCode.Should().Be(2, q.ToString());
        q.StdErr.Should().Contain("at least 1 query per seed; got 0");
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("255", "1")]
    [InlineData("-0.5", "-0.5")]
    [InlineData("300/255", "1.176")]
    public void An_epsilon_outside_0_1_exits_2_with_the_unit_named(string epsilon, string got)
    {
        var r = CliRunner.Run(MnistCnn("--limit", "1", "--epsilon", epsilon));

        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("error: --epsilon must be in (0, 1) in [0,1] pixel units").And.Contain($"got {got}");
        r.StdOut.Should().BeEmpty();
    }

    [Fact]
    public void Unparsable_or_inconsistent_options_exit_2()
    {
        var text = CliRunner.Run(MnistCnn("--limit", "1", "--epsilon", "eight"));
        text.ExitCode.Should().Be(2);
        text.StdErr.Should().Contain("--epsilon 'eight' is not a number of grey levels (16), a fraction of them (16/255)");

        var samples = CliRunner.Run(MnistCnn("--limit", "1", "--epsilon", "0.1", "--gradient", "spsa", "--samples", "0"));
        samples.ExitCode.Should().Be(2);
        samples.StdErr.Should().Contain("sample count must be positive; got 0");

        var fdSamples = CliRunner.Run(MnistCnn("--limit", "1", "--epsilon", "0.1", "--samples", "10"));
        fdSamples.ExitCode.Should().Be(2);
        fdSamples.StdErr.Should().Contain("--samples applies to --gradient spsa");
    }

    [Fact]
    public void Seeds_of_the_wrong_size_exit_2_naming_both_sizes()
    {
        var r = CliRunner.Run(["robustness", SharedData.Require("models/cifar10/resnet8.onnx"),
            "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--limit", "2", "--epsilon", "8/255", "--json"]);

        r.ExitCode.Should().Be(2, r.ToString());
        r.StdErr.Should().Contain("error: Seed '0': Image of 28x28 does not fit model").And.Contain("32x32");
        r.StdOut.Should().BeEmpty();
    }
}
