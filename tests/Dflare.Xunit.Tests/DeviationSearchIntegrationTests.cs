using Dflare.Cli.Tests;

namespace Dflare.Xunit.Tests;

/// <summary>
/// Runs a real test project that uses [DeviationSearch] and checks what a user would see: exit codes, messages,
/// received and verified snapshots, attachments and the list of cases. One sequential story, because each step
/// builds on the files the previous one left.
/// </summary>
public sealed class DeviationSearchIntegrationTests
{
    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    [Fact]
    public void A_deviating_pair_fails_with_received_snapshots_passes_once_accepted_and_fails_again_when_the_model_changes()
    {
        using var fx = new FixtureProject("DeviationGate");
        foreach (var (dest, src) in new[] { ("original", "fashion-lenet.onnx"), ("compressed", "fashion-lenet.int8.onnx"), ("original-again", "fashion-lenet.onnx") })
        {
            fx.Add($"models/{dest}.onnx", Demo(src));
            fx.Add($"models/{dest}.onnx.json", Demo(src + ".json"));
        }
        foreach (var seed in new[] { "fmnist-test-00000.png", "fmnist-test-00001.png", "labels.csv", "classes.txt" })
            fx.Add($"seeds/{seed}", Demo(Path.Combine("seeds", seed)));
        var resnet = SharedData.PathOf("models/cifar10/resnet8.onnx");
        bool haveOther = File.Exists(resnet);
        if (haveOther) fx.Add("models/other-geometry.onnx", resnet);
        fx.Build();

        // --list-tests: one case per seed, with readable names.
        var list = fx.Run("--list-tests");
        list.Output.Should().Contain("GateTests.Int8_copy_matches_the_original [original.onnx vs compressed.onnx, seed fmnist-test-00000]")
            .And.Contain("GateTests.Int8_copy_matches_the_original [original.onnx vs compressed.onnx, seed fmnist-test-00001]");

        // First run: the int8 copy deviates → failed cases, received files, readable message, attachments.
        var first = fx.Run();
        first.ExitCode.Should().Be(2, first.ToString());
        var int8 = first.Matching("Int8_copy_matches_the_original");
        int8.Should().HaveCount(2).And.OnlyContain(c => c.Failed, first.ToString());
        int8[0].Message.Should().Contain("deviates from the original").And.Contain("original says").And.Contain("compressed says")
            .And.Contain("queries used").And.Contain("L∞").And.Contain(".received.png").And.Contain("dflare accept");
        Directory.GetFiles(fx.SnapshotDirectory, "*.received.png").Should().HaveCount(2);
        Directory.GetFiles(fx.SnapshotDirectory, "*.received.json").Should().HaveCount(2);
        Directory.GetFiles(first.ResultsDirectory, "*.composite.png", SearchOption.AllDirectories).Should().HaveCount(2, "each failed case attaches its review picture");
        first.Matching("Identical_models_never_deviate").Should().HaveCount(2).And.OnlyContain(c => !c.Failed);

        // Bad configuration fails its own case at run time, with a clear message; discovery is unaffected.
        first.Matching("Missing_model").Should().ContainSingle().Which.Message.Should().Contain("models/missing.onnx").And.Contain("does not exist");
        first.Matching("Zero_budget").Should().ContainSingle().Which.Message.Should().Contain("budget must be positive");
        first.Matching("Unknown_strategy").Should().ContainSingle().Which.Message.Should().Contain("annealing");
        if (haveOther)
            first.Matching("Mismatched_pair").Should().ContainSingle().Which.Message.Should().Contain("mismatch").And.Contain("32x32x3");

        // Robustness: a floor the model misses fails in plain words; a modest one passes.
        first.Matching("Demanding_robustness_floor").Should().ContainSingle().Which.Message.Should()
            .Contain("compressed.onnx is not robust enough").And.Contain("median flipping ε").And.Contain("below the required 0.25").And.Contain("Per-layer sensitivity (ANS)");
        first.Matching("Modest_robustness_floor").Should().ContainSingle().Which.Failed.Should().BeFalse(first.ToString());
        list.Output.Should().Contain("GateTests.Demanding_robustness_floor [compressed.onnx robustness ≥ ε 0.25]");
        // The template's example fails a model whose adversarial accuracy at its ε is 0 %.
        var hopeless = first.Matching("Template_robustness_example_at_a_hopeless_epsilon").Should().ContainSingle().Which;
        hopeless.Failed.Should().BeTrue(first.ToString());
        hopeless.Message.Should().Contain("to flip at most 0.5 of the seeds at ε, but 2 of 2 flipped");

        // Accept, run again: the known deviations pass and the received files are gone.
        var accept = CliRunner.Run("accept", fx.SnapshotDirectory);
        accept.ExitCode.Should().Be(0, accept.ToString());
        var second = fx.Run();
        second.Matching("Int8_copy_matches_the_original").Should().HaveCount(2).And.OnlyContain(c => !c.Failed, second.ToString());
        Directory.GetFiles(fx.SnapshotDirectory, "*.verified.png").Should().HaveCount(2);
        Directory.GetFiles(fx.SnapshotDirectory, "*.received.*").Should().BeEmpty();

        // A different compressed model: the verified deviations no longer match.
        var bits4 = Path.Combine(fx.Directory, "bits4.onnx");
        CliRunner.Run("compress", Demo("fashion-lenet.onnx"), "--method", "bits:4", "--out", bits4).ExitCode.Should().Be(0);
        fx.ReplaceInOutput("models/compressed.onnx", bits4);
        var third = fx.Run();
        var changed = third.Matching("Int8_copy_matches_the_original");
        changed.Should().HaveCount(2).And.OnlyContain(c => c.Failed, third.ToString());
        changed.Should().OnlyContain(c => c.Message.Contains("differs from the verified snapshot") || c.Message.Contains("no longer found"));
    }
}
