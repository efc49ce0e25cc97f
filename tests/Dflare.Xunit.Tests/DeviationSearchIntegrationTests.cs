using System.Xml.Linq;
using Dflare.Check;
using Dflare.Cli.Tests;
using Dflare.Reports;
using Dflare.Search;

namespace Dflare.Xunit.Tests;

/// <summary>
/// Runs a real test project that uses [DeviationSearch] and checks what a user would see: exit codes, messages,
/// received and verified snapshots, attachments, the report and the list of cases. One sequential story, because each
/// step builds on the files the previous one left.
/// </summary>
public sealed class DeviationSearchIntegrationTests
{
    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    [Fact]
    public void A_deviating_pair_fails_with_received_snapshots_passes_once_accepted_reports_fixes_skips_empty_shards_and_reports_errors()
    {
        using var fx = new FixtureProject("DeviationGate");
        var pruned = Path.Combine(fx.Directory, "pruned.onnx");
        CliRunner.Run("compress", Demo("fashion-lenet.onnx"), "--method", "prune:0.5", "--out", pruned).ExitCode.Should().Be(0);
        foreach (var (dest, src) in new[] { ("original", Demo("fashion-lenet.onnx")), ("compressed", pruned), ("original-again", Demo("fashion-lenet.onnx")), ("int8", Demo("fashion-lenet.int8.onnx")) })
        {
            fx.Add($"models/{dest}.onnx", src);
            fx.Add($"models/{dest}.onnx.json", Demo("fashion-lenet.onnx.json"));
        }
        foreach (var seed in new[] { "fmnist-test-00004.png", "fmnist-test-00005.png", "labels.csv", "classes.txt" })
            fx.Add($"seeds/{seed}", Demo(Path.Combine("seeds", seed)));
        // Bad inputs for the Bad_* cases, made by the CLI tests' corpus fixture (nothing from outside the repository).
        using var bad = new BadInputFixture();
        foreach (var (name, path) in new[] { ("truncated", bad.Truncated), ("readme", bad.TextModel), ("nan-weights", bad.Nan), ("image-output", bad.ImageOut) })
        {
            fx.Add($"models/{name}.onnx", path);
            if (File.Exists(path + ".json")) fx.Add($"models/{name}.onnx.json", path + ".json");
        }
        fx.Add("bad-seeds/truncated/cut.png", Path.Combine(bad.TruncatedPng, "cut.png"));
        fx.Add("bad-seeds/bad-magic-idx3-ubyte", bad.BadMagicIdx);
        var large = Path.Combine(bad.Root, "large.png");
        new Dflare.Images.Image(40, 40, 1).SavePng(large);
        fx.Add("bad-seeds/large/large.png", large);
        const string damagedSnapshot = "GateTests.Bad_damaged_verified_snapshot.seed=fmnist-test-00004.verified";
        var damagedJson = Path.Combine(bad.Root, "damaged.json");
        File.WriteAllText(damagedJson, """{ "seedId": "fmnist-test-00004", "originalLabel": """);
        fx.Add($"Snapshots/{damagedSnapshot}.json", damagedJson);
        fx.Add($"Snapshots/{damagedSnapshot}.png", large);
        var resnet = SharedData.PathOf("models/cifar10/resnet8.onnx");
        bool haveOther = File.Exists(resnet);
        if (haveOther) fx.Add("models/other-geometry.onnx", resnet);
        fx.Build();
        var report = Path.Combine(fx.Directory, "report");
        var withReport = new Dictionary<string, string> { ["DFLARE_REPORT_DIR"] = report };

        // --list-tests: per-seed cases where asked, one case per pair by default.
        var list = fx.Run("--list-tests");
        list.Output.Should().Contain("GateTests.Pruned_copy_matches_the_original [original.onnx vs compressed.onnx, seed fmnist-test-00004]")
            .And.Contain("GateTests.Pruned_copy_matches_the_original [original.onnx vs compressed.onnx, seed fmnist-test-00005]")
            .And.Contain("GateTests.Identical_models_never_deviate [original.onnx vs original-again.onnx]");

        // First run: the pruned copy deviates confidently → failed cases, received files, a readable message, attachments.
        var first = fx.RunWith(withReport);
        first.ExitCode.Should().Be(2, first.ToString());
        var cases = first.Matching("Pruned_copy_matches_the_original");
        cases.Should().HaveCount(2).And.OnlyContain(c => c.Failed, first.ToString());
        cases[0].Message.Should().Contain("FAILED. 1 of 1 seeds deviate").And.Contain("new seed").And.Contain("margin")
            .And.Contain("L∞").And.Contain(".received.png").And.Contain("dflare accept").And.Contain("margin ≥ 0.1, L∞ ≤ 32");
        Directory.GetFiles(fx.SnapshotDirectory, "*.received.png").Where(f => !f.EndsWith(".composite.png", StringComparison.Ordinal)).Should().HaveCount(2);
        Directory.GetFiles(fx.SnapshotDirectory, "*.received.json").Should().HaveCount(2);
        Directory.GetFiles(first.ResultsDirectory, "*.composite.png", SearchOption.AllDirectories).Should().HaveCount(2, "each failed case attaches its review picture");
        first.Matching("Identical_models_never_deviate").Should().ContainSingle().Which.Failed.Should().BeFalse();

        // A case with SkipUnless whose condition holds runs its check and hands the outcome to the method; an explicit
        // case is left out until asked for, and then runs with its class fixture (the case executes itself).
        var conditional = first.Matching("Conditionally_skipped_case_runs_its_check").Should().ContainSingle().Which;
        (conditional.Failed || conditional.Skipped).Should().BeFalse(first.ToString());
        first.Matching("Explicit_case_keeps_its_class_fixture").Should().OnlyContain(c => !c.Failed, first.ToString());
        var explicitRun = fx.Run("--explicit", "only", "--filter-class", "*ExplicitAndConditionalTests");
        explicitRun.ExitCode.Should().Be(0, explicitRun.ToString());
        var explicitCase = explicitRun.Matching("Explicit_case_keeps_its_class_fixture").Should().ContainSingle().Which;
        (explicitCase.Failed || explicitCase.Skipped).Should().BeFalse(explicitRun.ToString());

        // Bad configuration fails its own case at run time, with a clear message; discovery is unaffected.
        first.Matching("Missing_model").Should().ContainSingle().Which.Message.Should().Contain("models/missing.onnx").And.Contain("does not exist");
        first.Matching("Zero_budget").Should().ContainSingle().Which.Message.Should().Contain("Budget must be at least 2 model queries");
        first.Matching("Unknown_strategy").Should().ContainSingle().Which.Message.Should().Contain("annealing");
        if (haveOther)
            first.Matching("Mismatched_pair").Should().ContainSingle().Which.Message.Should().Contain("mismatch").And.Contain("32x32x3");

        // The report: errored cases are errors, the failing cases are failures, exactly as dotnet test saw them.
        var r1 = GateResultsStore.Read(report);
        var junit = XDocument.Load(Path.Combine(report, "junit.xml"));
        int failingDeviationCases = first.Cases.Count(c => c.Failed && !c.Name.Contains("robustness", StringComparison.OrdinalIgnoreCase) && !c.Name.Contains("Robustness", StringComparison.Ordinal));
        junit.Descendants("testsuite").Where(s => (string?)s.Attribute("name") != "QUANOS robustness")
            .Sum(s => (int)s.Attribute("failures")! + (int)s.Attribute("errors")!).Should().Be(failingDeviationCases, first.ToString());
        r1.Cases.Where(c => c.Error is not null).Select(c => c.TestMethod).Should().Contain(["Missing_model", "Zero_budget", "Unknown_strategy"]);
        File.ReadAllText(Path.Combine(report, "summary.md")).Should().Contain("### Errors").And.Contain("Missing_model");

        // Bad inputs: each case fails with one message naming the file or setting and the problem (no stack trace), and the
        // report lists it as a failed case, never as passed.
        var badCases = new Dictionary<string, string[]>
        {
            ["Bad_truncated_model"] = ["models/truncated.onnx"],
            ["Bad_text_file_as_model"] = ["models/readme.onnx"],
            ["Bad_model_with_nan_outputs"] = ["nan-weights.onnx", "non-finite", "on seed 'fmnist-test-00004'"],
            ["Bad_model_without_a_class_output"] = ["image-output.onnx", "not a class vector"],
            ["Bad_missing_seeds"] = ["no-such-seeds", "does not exist"],
            ["Bad_truncated_seed_picture"] = ["cut.png", "truncated"],
            ["Bad_seed_picture_of_the_wrong_size"] = ["large.png", "40x40", "28x28"],
            ["Bad_idx_magic"] = ["bad-magic-idx3-ubyte", "not an IDX image file", "bad magic number"],
            ["Bad_layout_setting"] = ["Layout 'chw' is not valid", "nchw, nhwc"],
            ["Bad_offset_past_the_seeds"] = ["No seeds"],
            ["Bad_damaged_verified_snapshot"] = [damagedSnapshot + ".json", "Delete the snapshot or accept a new one"],
            ["Bad_robustness_of_a_truncated_model"] = ["models/truncated.onnx"],
        };
        foreach (var (method, words) in badCases)
        {
            var c = first.Matching(method).Should().ContainSingle(method).Which;
            c.Failed.Should().BeTrue($"{method}: {c.Message}");
            foreach (var w in words) c.Message.Should().Contain(w, method);
            c.Message.Should().NotContain("   at ", $"{method}: no stack trace").And.NotContain("Exception", $"{method}: no exception type");
            if (method.Contains("robustness", StringComparison.Ordinal))
                r1.Robustness.Where(x => x.TestMethod == method).Should().ContainSingle(method).Which.Passed.Should().BeFalse(method);
            else
            {
                var rc = r1.Cases.Where(x => x.TestMethod == method).Should().ContainSingle(method).Which;
                rc.Passed.Should().BeFalse(method);
                (rc.Error is not null || rc.Seeds.Any(x => x.State == SeedState.Error)).Should().BeTrue($"{method} is an error in the report");
            }
        }
        Directory.GetFiles(fx.SnapshotDirectory, "GateTests.Bad_*.received.*").Should().BeEmpty("a case that cannot run writes no snapshot");
        File.ReadAllText(Path.Combine(report, "summary.md")).Should().Contain("Bad_truncated_model").And.Contain("**error** GateTests.Bad_robustness_of_a_truncated_model")
            .And.Contain("❌ error");

        // Robustness: a floor the model misses fails in plain words; a modest one passes.
        first.Matching("Demanding_robustness_floor").Should().ContainSingle().Which.Message.Should()
            .Contain("int8.onnx is not robust enough").And.Contain("median flipping ε").And.Contain("below the required 0.25");
        first.Matching("Modest_robustness_floor").Should().ContainSingle().Which.Failed.Should().BeFalse(first.ToString());
        list.Output.Should().Contain("GateTests.Demanding_robustness_floor [int8.onnx robustness ≥ ε 0.25]");
        // The template's example fails a model whose adversarial accuracy at its ε is 0 %.
        var hopeless = first.Matching("Template_robustness_example_at_a_hopeless_epsilon").Should().ContainSingle().Which;
        hopeless.Failed.Should().BeTrue(first.ToString());
        hopeless.Message.Should().Contain("to flip at most 0.5 of the seeds at ε, but 2 of 2 flipped");

        // Accept, run again: the accepted inputs are replayed (known), not searched, and pass; the received files are gone.
        var accept = CliRunner.Run("accept", fx.SnapshotDirectory);
        accept.ExitCode.Should().Be(0, accept.ToString());
        var second = fx.RunWith(withReport, "--filter-method", "*Pruned_copy_matches_the_original");
        second.Matching("Pruned_copy_matches_the_original").Should().HaveCount(2).And.OnlyContain(c => !c.Failed, second.ToString());
        Directory.GetFiles(fx.SnapshotDirectory, "GateTests.Pruned_copy_matches_the_original.*.verified.png").Should().HaveCount(2);
        Directory.GetFiles(fx.SnapshotDirectory, "*.received.*").Should().BeEmpty();
        var known = GateResultsStore.Read(report).Cases.SelectMany(c => c.Seeds).ToList();
        known.Should().HaveCount(2).And.OnlyContain(s => s.State == SeedState.Known && s.Status == SearchStatus.Replayed && s.Queries == 4);

        // A case with no seed in its shard is skipped, saying so.
        var shard = fx.RunWith(new Dictionary<string, string> { ["DFLARE_SHARD"] = "3/3" }, "--filter-method", "*Identical_models_never_deviate");
        shard.ExitCode.Should().Be(0, shard.ToString());
        shard.Matching("Identical_models_never_deviate").Should().ContainSingle().Which.Message.Should().Contain("No seeds in shard 3/3");

        // The compressed model is replaced by a copy of the original: the accepted inputs no longer deviate → fixed, which
        // passes and is reported, naming the changed file; FailOnFixed makes it fail.
        fx.ReplaceInOutput("models/compressed.onnx", Demo("fashion-lenet.onnx"));
        var third = fx.RunWith(withReport, "--filter-method", "*Pruned_copy_matches_the_original");
        third.Matching("Pruned_copy_matches_the_original").Should().HaveCount(2).And.OnlyContain(c => !c.Failed, third.ToString());
        var fixedSeeds = GateResultsStore.Read(report).Cases.SelectMany(c => c.Seeds).ToList();
        fixedSeeds.Should().OnlyContain(s => s.State == SeedState.Fixed);
        GateResultsStore.Read(report).Cases.Should().OnlyContain(c => c.ChangedModels.Any(m => m.Contains("compressed model compressed.onnx changed")));
        var strict = fx.RunWith(new Dictionary<string, string> { ["DFLARE_FAIL_ON_FIXED"] = "true" }, "--filter-method", "*Pruned_copy_matches_the_original");
        strict.Matching("Pruned_copy_matches_the_original").Should().HaveCount(2).And.OnlyContain(c => c.Failed && c.Message.Contains("fixed seed"), strict.ToString());

        // A snapshot folder that cannot be written (here a file in its place): the case errors, the report says so.
        fx.ReplaceInOutput("models/compressed.onnx", pruned);
        Directory.Delete(fx.SnapshotDirectory, recursive: true);
        File.WriteAllText(fx.SnapshotDirectory, "not a folder");
        var broken = fx.RunWith(withReport, "--filter-method", "*Pruned_copy_matches_the_original");
        broken.ExitCode.Should().Be(2, broken.ToString());
        broken.Matching("Pruned_copy_matches_the_original").Should().OnlyContain(c => c.Failed && c.Message.Contains("cannot be written") && !c.Message.Contains("IOException"), broken.ToString());
        var errors = GateResultsStore.Read(report);
        errors.Cases.SelectMany(c => c.Seeds).Should().OnlyContain(s => s.State == SeedState.Error);
        File.ReadAllText(Path.Combine(report, "summary.md")).Should().Contain("❌ failed").And.Contain("error(s)").And.NotContain("✅ passed");
        XDocument.Load(Path.Combine(report, "junit.xml")).Descendants("error").Should().HaveCount(2);
    }
}
