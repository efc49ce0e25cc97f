using System.Text.Json.Nodes;
using Dflare.Tests;

namespace Dflare.Cli.Tests;

/// <summary><c>dflare search</c> run in-process through <see cref="Program.Main"/>.</summary>
/// <remarks>The tests redirect the process-wide console, so every class doing so belongs to the "Console" collection (run one at a time).</remarks>
[Collection("Console")]
public sealed class SearchCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dflare-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o); Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    // Without --compressed-* the options apply to both models, so cnn-pytorch runs here with mnist-8's plain pixel/255 input (it still classifies;
    // these tests are about the command, not the models).
    private static string[] MnistArgs(params string[] extra) =>
    [
        "search",
        "--original", SharedData.Require("models/mnist/cnn-pytorch.onnx"),
        "--compressed", SharedData.Require("models/mnist/mnist-8.onnx"),
        "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"),
        .. extra,
    ];

    [Fact]
    public void A_completed_search_exits_0_and_writes_results_json_with_the_summary_and_a_picture_per_trigger()
    {
        // The real compression pair: both models share one preprocessing, which the options set.
        var args = new[]
        {
            "search",
            "--original", SharedData.Require("models/cifar10/resnet8.onnx"),
            "--compressed", SharedData.Require("models/cifar10/resnet8-int8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"),
            "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225",
            "--offset", "177", "--limit", "3", "--budget", "400", "--seed", "5", "--out", _dir,
        };
        var (code, stdout, stderr) = Run(args);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("triggered").And.Contain("results.json");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")))!;
        var summary = json["summary"]!;
        summary["seeds"]!.GetValue<int>().Should().Be(3);
        summary["alreadyDeviating"]!.GetValue<int>().Should().Be(1, "seed 178 already deviates");
        summary["strategy"]!.GetValue<string>().Should().Be("dflare");
        (summary["triggered"]!.GetValue<int>() + summary["notFound"]!.GetValue<int>()).Should().Be(2);
        summary["triggered"]!.GetValue<int>().Should().BeGreaterThan(0, "a picture must be checked for at least one trigger");
        summary["totalQueries"]!.GetValue<long>().Should().Be(json["seeds"]!.AsArray().Sum(s => s!["queries"]!.GetValue<long>() + (s["shrink"]?["queries"]!.GetValue<long>() ?? 0)),
            "the search's queries plus those spent shrinking");
        json["run"]!["runSeed"]!.GetValue<ulong>().Should().Be(5);
        foreach (var s in json["seeds"]!.AsArray().Where(s => s!["status"]!.GetValue<string>() == "triggered"))
            File.Exists(Path.Combine(_dir, s!["image"]!.GetValue<string>())).Should().BeTrue();

        // Same command again: identical results apart from timings.
        var first = File.ReadAllText(Path.Combine(_dir, "results.json"));
        Run(args).Code.Should().Be(0);
        var second = File.ReadAllText(Path.Combine(_dir, "results.json"));
        WithoutSeconds(second).Should().Be(WithoutSeconds(first));
    }

    [Fact]
    public void A_bound_makes_square_the_default_strategy_and_objective_margin_and_direction_reach_the_results()
    {
        var args = new[]
        {
            "search",
            "--original", SharedData.Require("models/cifar10/resnet8.onnx"),
            "--compressed", SharedData.Require("models/cifar10/resnet8-int8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"),
            "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225",
            "--limit", "4", "--budget", "300", "--max-linf", "16",
        };
        var boundary = Path.Combine(_dir, "boundary");
        var (code, stdout, stderr) = Run([.. args, "--out", boundary]);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("square, boundary objective");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(boundary, "results.json")))!;
        json["summary"]!["strategy"]!.GetValue<string>().Should().Be("square");
        json["run"]!["square"]!["objective"]!.GetValue<string>().Should().Be("boundary");
        json["run"]!["square"]!.AsObject().ContainsKey("toward").Should().BeFalse("the default direction is not written, so results.json stays as it was");
        json["summary"]!["triggered"]!.GetValue<int>().Should().BeGreaterThan(0);
        foreach (var s in json["seeds"]!.AsArray().Where(s => s!["status"]!.GetValue<string>() == "triggered"))
        {
            s!["linf"]!.GetValue<int>().Should().BeLessThanOrEqualTo(16);
            s["originalQueries"]!.GetValue<long>().Should().BeLessThan(s["queries"]!.GetValue<long>());
        }

        var confident = Path.Combine(_dir, "confident");
        (code, stdout, stderr) = Run([.. args, "--objective", "confident", "--min-margin", "0.1", "--out", confident]);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("square, confident objective");
        json = JsonNode.Parse(File.ReadAllText(Path.Combine(confident, "results.json")))!;
        json["run"]!["square"]!["objective"]!.GetValue<string>().Should().Be("confident");
        json["run"]!["minMargin"]!.GetValue<double>().Should().Be(0.1);

        Run([.. args, "--objective", "sure", "--out", confident]).Err.Should().Contain("Unknown objective 'sure'");

        var toward = Path.Combine(_dir, "toward");
        (code, stdout, stderr) = Run([.. args, "--toward", "compressed", "--out", toward]);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("square, boundary objective toward the compressed model)");
        json = JsonNode.Parse(File.ReadAllText(Path.Combine(toward, "results.json")))!;
        json["run"]!["square"]!["toward"]!.GetValue<string>().Should().Be("compressed");
        foreach (var s in json["seeds"]!.AsArray().Where(s => s!["status"]!.GetValue<string>() == "triggered"))
            (s!["queries"]!.GetValue<long>() - s["originalQueries"]!.GetValue<long>()).Should().BeGreaterThan(s["originalQueries"]!.GetValue<long>(),
                "walking toward the compressed model's boundary asks the original only at the ends of a crossing");
        var err = Run([.. args, "--toward", "compressed", "--min-margin", "0.1", "--out", toward]).Err;
        err.Should().Contain("--toward must be original with the confident objective (--objective, or --min-margin > 0").And.NotContain("   at ");
        Run([.. args, "--toward", "sideways", "--out", toward]).Err.Should().Contain("Unknown model 'sideways' to walk toward");
    }

    [Fact]
    public void Compressed_options_give_the_compressed_model_its_own_preprocessing()
    {
        // cnn-pytorch needs mean 0.5 / std 0.5, mnist-8 plain 0..1 pixels: only --compressed-* can give each its own.
        float[] SeedCompressed(params string[] extra)
        {
            var (code, _, stderr) = Run(MnistArgs(["--mean", "0.5", "--std", "0.5", "--limit", "1", "--budget", "2", "--out", _dir, .. extra]));
            code.Should().Be(0, stderr);
            var seed = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")))!["seeds"]![0]!;
            return seed["seedCompressedProbabilities"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
        }
        var shared = SeedCompressed();
        var own = SeedCompressed("--compressed-mean", "0", "--compressed-std", "1");
        var mnist8 = Dflare.Models.OnnxClassifier.Load(SharedData.Require("models/mnist/mnist-8.onnx"))
            .Predict(Dflare.Datasets.SeedSource.Open(SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz")).Load(0, 1)[0].Image);
        own.Should().Equal(mnist8, "with its own options mnist-8 sees what it sees alone");
        shared.Should().NotEqual(own);
    }

    private static string WithoutSeconds(string json) =>
        string.Join("\n", json.Split('\n').Where(l => !l.TrimStart().StartsWith("\"seconds\"", StringComparison.Ordinal)));

    [Fact]
    public void Query_unchanged_spends_queries_on_identity_mutants_and_is_recorded()
    {
        var skip = Path.Combine(_dir, "skip");
        var query = Path.Combine(_dir, "query");
        Run(MnistArgs("--limit", "3", "--budget", "300", "--strategy", "random-ops", "--out", skip)).Code.Should().Be(0);
        Run(MnistArgs("--limit", "3", "--budget", "300", "--strategy", "random-ops", "--query-unchanged", "--out", query)).Code.Should().Be(0);
        var a = JsonNode.Parse(File.ReadAllText(Path.Combine(skip, "results.json")))!;
        var b = JsonNode.Parse(File.ReadAllText(Path.Combine(query, "results.json")))!;
        a["run"]!["skipUnchanged"]!.GetValue<bool>().Should().BeTrue();
        b["run"]!["skipUnchanged"]!.GetValue<bool>().Should().BeFalse();
        // The same random choices: skipping only removes the queries of unchanged mutants, so the skipping run evaluates
        // no more mutants per seed than the querying one needs for the same (or an earlier) outcome.
        var sa = a["seeds"]!.AsArray(); var sb = b["seeds"]!.AsArray();
        int compared = 0;
        for (int i = 0; i < sa.Count; i++)
            if (sa[i]!["status"]!.GetValue<string>() == "triggered" && sb[i]!["status"]!.GetValue<string>() == "triggered")
            {
                compared++;
                sa[i]!["mutations"]!.ToJsonString().Should().Be(sb[i]!["mutations"]!.ToJsonString(), "the same mutants are accepted");
                sa[i]!["queries"]!.GetValue<long>().Should().BeLessThanOrEqualTo(sb[i]!["queries"]!.GetValue<long>());
            }
        compared.Should().BeGreaterThan(0, "the comparison needs seeds that triggered in both runs");
        // Some unchanged mutant (e.g. a blur of kernel 1) was drawn: the querying run paid for it.
        sb.Sum(s => s!["queries"]!.GetValue<long>()).Should().BeGreaterThan(sa.Sum(s => s!["queries"]!.GetValue<long>()));
    }

    [Fact]
    public void The_diffchaser_strategy_runs_with_its_parameters_recorded()
    {
        var (code, _, stderr) = Run(MnistArgs("--limit", "2", "--budget", "60", "--strategy", "diffchaser", "--dc-population", "6", "--dc-mutation-rate", "0.05", "--out", _dir));
        code.Should().Be(0, stderr);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")))!;
        json["summary"]!["strategy"]!.GetValue<string>().Should().Be("diffchaser");
        json["run"]!["diffChaser"]!["population"]!.GetValue<int>().Should().Be(6);
        json["run"]!["diffChaser"]!["mutationRate"]!.GetValue<double>().Should().Be(0.05);
        json["seeds"]!.AsArray().Should().HaveCount(2).And.OnlyContain(s => s!["queries"]!.GetValue<long>() <= 60);
    }

    [Theory]
    [InlineData("--budget", "0", "--budget must be at least 2")]
    [InlineData("--strategy", "genetic", "Unknown strategy 'genetic'")]
    [InlineData("--operators", "gaussian-noise,swirl", "Unknown mutation operator 'swirl'")]
    [InlineData("--max-linf", "300", "--max-linf is 300 grey levels (1.1765 in [0,1] units); give a whole number of grey levels from 0 to 255")]
    [InlineData("--offset", "20000", "No seeds to search")]
    [InlineData("--time-limit", "-1", "--time-limit must be a positive number")]
    [InlineData("--dc-population", "1", "--dc-population must be at least 2 (got 1)")]
    [InlineData("--shrink", "2", "--shrink must be between 0 and 1")]
    public void Bad_options_exit_2_with_a_clear_message(string option, string value, string message)
    {
        var (code, _, stderr) = Run(MnistArgs(option, value, "--limit", "1", "--out", _dir));
        code.Should().Be(2);
        stderr.Should().StartWith("error: ").And.Contain(message);
        File.Exists(Path.Combine(_dir, "results.json")).Should().BeFalse();
    }

    [Fact]
    public void A_missing_model_missing_seeds_or_a_mismatched_pair_exit_2_naming_the_file_and_problem()
    {
        var missing = Path.Combine(_dir, "nope.onnx");
        var r1 = Run("search", "--original", missing, "--compressed", SharedData.Require("models/mnist/mnist-8.onnx"),
            "--seeds", SharedData.Require("data/mnist/t10k-images-idx3-ubyte.gz"), "--out", _dir);
        r1.Code.Should().Be(2);
        r1.Err.Should().Contain($"Model file '{missing}' does not exist");

        var r2 = Run("search", "--original", SharedData.Require("models/mnist/cnn-pytorch.onnx"), "--compressed", SharedData.Require("models/mnist/mnist-8.onnx"),
            "--seeds", "/nonexistent/seeds.bin", "--out", _dir);
        r2.Code.Should().Be(2);
        r2.Err.Should().Contain("Seed path '/nonexistent/seeds.bin' does not exist");

        var r3 = Run("search", "--original", SharedData.Require("models/cifar10/resnet8.onnx"), "--compressed", SharedData.Require("models/mnist/mnist-8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"), "--out", _dir);
        r3.Code.Should().Be(2);
        r3.Err.Should().Contain("Model pair mismatch");

        var r4 = Run("search", "--compressed", "x.onnx", "--seeds", "y");
        r4.Code.Should().NotBe(0, "--original is required");
    }

    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    [Fact]
    public void Max_linf_takes_grey_levels_or_a_fraction_alike_prints_both_units_and_the_preprocessing_with_its_sources()
    {
        string[] Args(string linf, string sub) =>
        [
            "search", "--original", Demo("fashion-lenet.onnx"), "--compressed", Demo("fashion-lenet.int8.onnx"),
            "--seeds", Demo("seeds"), "--limit", "2", "--budget", "60", "--max-linf", linf, "--out", Path.Combine(_dir, sub),
        ];
        var (c1, o1, e1) = Run(Args("16/255", "a"));
        var (c2, _, e2) = Run(Args("16", "b"));

        c1.Should().Be(0, e1);
        c2.Should().Be(0, e2);
        o1.Should().Contain("--max-linf 16/255: 16 grey levels (0.0627 in [0,1] units)");
        o1.Should().Contain("fashion-lenet.onnx: input input (sidecar)").And.Contain("mean [0.5] (sidecar)").And.Contain("filter bilinear (default)");
        var a = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "a", "results.json")))!;
        var b = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "b", "results.json")))!;
        a["run"]!["maxLinf"]!.GetValue<int>().Should().Be(16);
        static string Outcome(JsonNode r) => string.Join(";", r["seeds"]!.AsArray().Select(x => $"{x!["status"]}/{x["queries"]}/{x["linf"]}"));
        Outcome(a).Should().Be(Outcome(b), "16 and 16/255 are the same bound");
        var pre = a["run"]!["preprocessing"]!.AsArray();
        pre.Should().HaveCount(2);
        pre[1]!["scale"]!["source"]!.GetValue<string>().Should().Be("sidecar");
    }

    [Fact]
    public void A_pair_that_disagrees_on_many_unmodified_seeds_is_refused_unless_overridden()
    {
        // resnet8 and squeezenet are two different CIFAR-10 models, not a compression pair.
        string[] Args(params string[] extra) =>
        [
            "search", "--original", SharedData.Require("models/cifar10/resnet8.onnx"), "--compressed", SharedData.Require("models/cifar10/squeezenet-nhwc.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"), "--limit", "1", "--budget", "20", "--out", _dir, .. extra,
        ];
        var (code, stdout, stderr) = Run(Args());
        code.Should().Be(2, stdout);
        stderr.Should().Contain("not a compression pair, or their preprocessing differs").And.Contain("--no-sanity-check");
        File.Exists(Path.Combine(_dir, "results.json")).Should().BeFalse("nothing is searched");

        var (code2, _, stderr2) = Run(Args("--no-sanity-check"));
        code2.Should().Be(0, stderr2);
    }

    [Fact]
    public void An_original_fed_the_wrong_preprocessing_is_refused_as_probably_wrong_preprocessing()
    {
        // The real resnet8 pair fed 0..255 pixels (--scale 1) instead of its normalised [0,1] input: near chance.
        var (code, stdout, stderr) = Run(
            "search", "--original", SharedData.Require("models/cifar10/resnet8.onnx"), "--compressed", SharedData.Require("models/cifar10/resnet8-int8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"), "--limit", "1", "--budget", "20", "--scale", "1", "--out", Path.Combine(_dir, "out"));
        code.Should().Be(2, stdout);
        stderr.Should().Contain("preprocessing is probably wrong").And.Contain("scale 1 (option)");

        // Fed [0,1] pixels without its mean and std, it is right on about a quarter of the seeds: above twice chance,
        // but still far from a trained model, and refused.
        var (code2, stdout2, stderr2) = Run(
            "search", "--original", SharedData.Require("models/cifar10/resnet8.onnx"), "--compressed", SharedData.Require("models/cifar10/resnet8-int8.onnx"),
            "--seeds", SharedData.Require("data/cifar10/test_first932.bin"), "--limit", "1", "--budget", "20", "--out", Path.Combine(_dir, "out2"));
        code2.Should().Be(2, stdout2);
        stderr2.Should().Contain("preprocessing is probably wrong").And.Contain("suspect at or below 32.5 %");
    }

    [Fact]
    public void The_sanity_accuracy_floor_lies_between_chance_and_perfect_for_any_class_count()
    {
        var s = new Dflare.Models.SanitySettings();
        s.AccuracyFloor(2).Should().BeApproximately(0.625, 1e-12, "a two-class model is not refused for being right on 90 %");
        s.AccuracyFloor(10).Should().BeApproximately(0.325, 1e-12);
        s.AccuracyFloor(1000).Should().BeApproximately(0.25075, 1e-12);
        foreach (var k in new[] { 2, 3, 10, 100, 1000 })
            s.AccuracyFloor(k).Should().BeGreaterThan(1.0 / k).And.BeLessThan(1.0);
    }
}
