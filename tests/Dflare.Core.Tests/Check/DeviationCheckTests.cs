using Dflare.Check;
using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Snapshots;
using Dflare.Tests;

namespace Dflare.Core.Tests.Check;

/// <summary>
/// The gate's check on the demo pair and compressions of its original made here with the project's compressor:
/// replay first, stability of known deviations, the model-update story and errors.
/// </summary>
public sealed class DeviationCheckTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dflare-check-").FullName;
    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);
    private static readonly string Seeds = Demo("seeds");

    private string Compress(string method, string name)
    {
        var outPath = Path.Combine(dir, name);
        var context = new CompressionContext
        {
            Calibration = SeedSource.Open(Seeds), CalibrationLimit = 100, ModelOptions = ModelOptions.ForModel(Demo("fashion-lenet.onnx"), new ModelOptions()),
        };
        Compressor.Compress(Demo("fashion-lenet.onnx"), outPath, CompressionMethod.Parse(method), context);
        return outPath;
    }

    private CheckSettings Settings(string compressed, int limit) => new()
    {
        Original = Demo("fashion-lenet.onnx"), Compressed = compressed, Seeds = Seeds, Limit = limit, Budget = 400,
        SnapshotDirectory = Path.Combine(dir, "Snapshots"), SnapshotName = "Check.Pair",
    };

    [Fact]
    public void Known_deviations_stay_known_across_run_seed_budget_threads_and_shards()
    {
        var pruned = Compress("prune:0.5", "pruned.onnx");
        var found = DeviationCheck.Run(Settings(pruned, 8), cancellation: TestContext.Current.CancellationToken);
        var acceptedIds = found.Findings.Where(f => f.State == SeedState.New).Select(f => f.SeedId).ToList();
        acceptedIds.Should().NotBeEmpty("the pruned copy deviates confidently near some seeds");
        found.Passed.Should().BeFalse();
        found.Findings.Where(f => f.State == SeedState.New).Should().OnlyContain(f => f.OriginalMargin >= 0.1 && f.CompressedMargin >= 0.1 && f.LInf <= 32);
        SnapshotAcceptor.AcceptAll(Path.Combine(dir, "Snapshots")).Problems.Should().BeEmpty();

        var reruns = new[]
        {
            Settings(pruned, 8) with { RunSeed = 7 },
            Settings(pruned, 8) with { Budget = 800, Threads = 1 },
            Settings(pruned, 8) with { Shard = (1, 2) },
            Settings(pruned, 8) with { Shard = (2, 2) },
        };
        var knownInShards = new List<string>();
        foreach (var s in reruns)
        {
            var v = DeviationCheck.Run(s, cancellation: TestContext.Current.CancellationToken);
            var byId = v.Findings.ToDictionary(f => f.SeedId);
            foreach (var id in acceptedIds.Where(byId.ContainsKey))
            {
                byId[id].State.Should().Be(SeedState.Known, $"seed {id} was accepted (run seed {s.RunSeed}, budget {s.Budget}, shard {s.Shard})");
                byId[id].Queries.Should().Be(4, "a known deviation is replayed (seed + accepted input on both models), not searched");
            }
            v.Counts.Changed.Should().Be(0);
            v.Counts.Fixed.Should().Be(0);
            if (s.Shard is not null) knownInShards.AddRange(v.Findings.Where(f => f.State == SeedState.Known).Select(f => f.SeedId));
        }
        knownInShards.Should().BeEquivalentTo(acceptedIds, "the shards together replay every accepted input once");
    }

    [Fact]
    public void Model_update_story_int8_to_int8_static_reports_known_fixed_and_new_and_no_changed_for_the_same_labels()
    {
        // Boundary deviations (any margin, unbounded) so that the weight-only int8 copy has plenty to accept.
        var int8 = Compress("int8", "model.int8.onnx");
        var relaxed = Settings(int8, 12) with { MinMargin = 0, MaxLInf = null, Budget = 300 };
        var first = DeviationCheck.Run(relaxed, cancellation: TestContext.Current.CancellationToken);
        var accepted = first.Findings.Where(f => f.State == SeedState.New).ToDictionary(f => f.SeedId);
        accepted.Count.Should().BeGreaterThan(3, first.Message);
        SnapshotAcceptor.AcceptAll(Path.Combine(dir, "Snapshots")).Problems.Should().BeEmpty();

        // The team re-quantises: int8-static replaces the file the tests point at.
        var staticModel = Compress("int8-static", "static.onnx");
        File.Copy(staticModel, int8, overwrite: true);
        var update = DeviationCheck.Run(relaxed, cancellation: TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine(first.Headline + "\n" + update.Message);

        var c = update.Counts;
        update.Findings.Where(f => accepted.ContainsKey(f.SeedId)).Should().OnlyContain(f => f.AcceptedLabels != null, "every accepted input is replayed");
        foreach (var f in update.Findings.Where(f => accepted.ContainsKey(f.SeedId)))
        {
            var a = accepted[f.SeedId];
            f.AcceptedLabels.Should().Be((a.OriginalLabel!.Value, a.CompressedLabel!.Value));
            switch (f.State)
            {
                case SeedState.Known: (f.OriginalLabel, f.CompressedLabel).Should().Be((a.OriginalLabel, a.CompressedLabel)); break;
                case SeedState.Changed: (f.OriginalLabel, f.CompressedLabel).Should().NotBe((a.OriginalLabel, a.CompressedLabel), "changed only when the labels differ"); break;
                case SeedState.Fixed: f.OriginalLabel.Should().Be(f.CompressedLabel, "a fixed input no longer deviates"); break;
                case SeedState.New:
                    f.Note.Should().Contain("no longer deviates").And.Contain("search found this one");
                    System.Text.RegularExpressions.Regex.Matches(f.Note!, "no longer deviates").Should().ContainSingle("the note says it once: " + f.Note);
                    break;
                default: throw new InvalidOperationException($"seed {f.SeedId}: {f.State}");
            }
        }
        update.Message.Should().Contain($"{c.Known} known, {c.New} new, {c.Changed} changed, {c.Fixed} fixed")
            .And.Contain("The compressed model model.int8.onnx changed since snapshots were accepted");
        update.Findings.Where(f => f.State == SeedState.New).Should().OnlyContain(f => !accepted.ContainsKey(f.SeedId) || f.Note!.Contains("fixed"));
        c.Known.Should().BeGreaterThan(0, "most accepted inputs still deviate the same way after re-quantising:\n" + update.Message);
    }

    [Fact]
    public void A_damaged_snapshot_is_an_error_naming_the_file_and_fails_the_check()
    {
        var s = Settings(Demo("fashion-lenet.int8.onnx"), 2);
        var paths = SnapshotPaths.ForSeed(s.SnapshotDirectory!, s.SnapshotName, "fmnist-test-00000");
        Directory.CreateDirectory(paths.Directory);
        File.WriteAllText(paths.VerifiedJson, "{ damaged");
        File.WriteAllBytes(paths.VerifiedImage, [1, 2, 3]);
        var v = DeviationCheck.Run(s, cancellation: TestContext.Current.CancellationToken);
        var f = v.Findings.Single(x => x.SeedId == "fmnist-test-00000");
        f.State.Should().Be(SeedState.Error);
        f.Note.Should().Contain(paths.VerifiedJson).And.Contain("not a valid deviation snapshot");
        v.Passed.Should().BeFalse();
        v.Message.Should().Contain("error seed fmnist-test-00000");
        (v with { Settings = s with { FailOnDeviation = false } }).Passed.Should().BeFalse("errors fail even in report-only mode");
    }

    [Fact]
    public void The_demo_int8_copy_has_no_confident_bounded_deviation_and_passes_with_the_defaults()
    {
        var steps = new List<(int Done, int Total)>();
        var v = DeviationCheck.Run(Settings(Demo("fashion-lenet.int8.onnx"), 6) with { SnapshotDirectory = null }, cancellation: TestContext.Current.CancellationToken,
            progress: (done, total) => steps.Add((done, total)));
        v.Passed.Should().BeTrue(v.Message);
        v.Counts.Clean.Should().Be(6);
        steps.Should().Equal([(0, 6), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (6, 6)], "progress is reported as each searched seed finishes");
        v.Message.Should().NotContain("Most seeds deviate");
        v.OriginalAccuracy.Should().NotBeNull();
        v.Headline.Should().StartWith("fashion-lenet.int8.onnx vs fashion-lenet.onnx: PASSED. 0 of 6 seeds deviate (0 %, 95 % CI 0 %–39 %)");
    }

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
