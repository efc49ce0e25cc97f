using Dflare.Check;
using Dflare.Images;
using Dflare.Reports;
using Dflare.Search;

namespace Dflare.Gate.Tests;

/// <summary>The HTML report in a real browser (headless Chromium): the page loads from disk, every picture decodes, and a screenshot is taken.</summary>
public sealed class ReportBrowserTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dflare-report-browser-").FullName;

    /// <summary>Results of two pairs (one with new and accepted deviations, one clean) and a QUANOS check, with real pictures.</summary>
    internal static GateResults SampleResults(string reportDir)
    {
        var seedsDir = Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", "seeds");
        var seeds = new List<SeedRecord>();
        var files = Directory.GetFiles(seedsDir, "*.png").Order(StringComparer.Ordinal).Take(5).ToList();
        for (int i = 0; i < files.Count; i++)
        {
            var seed = Image.Load(files[i]);
            var mutant = seed.Clone();
            for (int k = 0; k < mutant.Pixels.Length; k += 7) mutant.Pixels[k] = (byte)(255 - mutant.Pixels[k]);
            var (diff, _) = Dflare.Search.TriggerPicture.SignedDifference(seed, mutant);
            var picture = Dflare.Search.TriggerPicture.Compose([(seed, ["seed " + i, "orig: Coat"]), (mutant, ["triggering input", "comp: Shirt"]), (diff, ["|diff|"])]);
            var rel = $"images/sample-{i}.png";
            picture.SavePng(Path.Combine(reportDir, rel));
            seeds.Add(new SeedRecord
            {
                Id = Path.GetFileNameWithoutExtension(files[i]), Index = i, Status = i == 4 ? SearchStatus.NotFound : SearchStatus.Triggered,
                State = i switch { 0 or 1 => SeedState.New, 2 => SeedState.Known, 3 => SeedState.Changed, _ => SeedState.Clean },
                Queries = 40 + 90 * i, OriginalClass = "Coat", CompressedClass = i == 4 ? null : "Shirt", TrueClass = "Coat", LInf = 200 + i,
                Ssim = 0.5, Operators = ["pixel-change", "salt-pepper"], Image = i == 4 ? null : rel,
            });
        }
        var pairA = new DeviationCaseRecord
        {
            Id = "Sample.Tests.Int8", TestClass = "Sample.Tests", TestMethod = "Int8", Original = "/m/lenet.onnx", Compressed = "/m/lenet.int8.onnx",
            SeedSource = seedsDir, Budget = 500, Seconds = 1.25, Passed = false, Message = "2 deviation(s) not accepted", Seeds = seeds,
            Operators = [new("pixel-change", 30, 9), new("salt-pepper", 20, 4), new("gaussian-blur", 12, 0)],
        };
        var pairB = new DeviationCaseRecord
        {
            Id = "Sample.Tests.Fp16", TestClass = "Sample.Tests", TestMethod = "Fp16", Original = "/m/lenet.onnx", Compressed = "/m/lenet.fp16.onnx",
            Budget = 200, Seconds = 0.5, Passed = true,
            Seeds = [new SeedRecord { Id = "a", State = SeedState.Clean, Status = SearchStatus.NotFound, Queries = 200 }, new SeedRecord { Id = "b", Index = 1, State = SeedState.Clean, Status = SearchStatus.NotFound, Queries = 200 }],
        };
        var quanos = new RobustnessRecord
        {
            Id = "Sample.Tests.Robust(0.03)", TestClass = "Sample.Tests", TestMethod = "Robust", Model = "/m/lenet.int8.onnx", Original = "/m/lenet.onnx",
            Seeds = 100, Epsilon = 0.03, CleanAccuracy = 0.9, AdversarialAccuracy = 0.41, OriginalAdversarialAccuracy = 0.47, MedianFlipEpsilon = 0.021,
            Layers = [new("conv1", "Conv", 1.8, 8), new("conv2", "Conv", 3.4, 6), new("fc1", "Gemm", 2.2, 4), new("fc2", "Gemm", 0.9, 8)],
            Queries = 4000, Seconds = 3.2, Passed = false, Message = "adversarial accuracy 41 % is below the required 45 %",
        };
        return new GateResults { Project = "Sample.Tests", Started = DateTimeOffset.UtcNow, Finished = DateTimeOffset.UtcNow, Cases = [pairA, pairB], Robustness = [quanos] };
    }

    [Fact]
    public void The_html_report_loads_in_chromium_with_every_picture_and_renders_a_screenshot()
    {
        Browser.Require();
        var results = SampleResults(dir);
        var files = GateReport.WriteAll(results, dir);

        var page = Browser.Check(files.Html, Path.Combine(dir, "report.png"), height: 2400);

        page.Title.Should().Be("images-ok 4", page.Log);
        page.Dom.Should().Contain("lenet.int8.onnx vs lenet.onnx").And.Contain("lenet.fp16.onnx vs lenet.onnx")
            .And.Contain("Queries per triggering input").And.Contain("Mutation operators").And.Contain("Per-layer adversarial noise sensitivity");
        File.Exists(page.Screenshot).Should().BeTrue(page.Log);
        var shot = Image.Load(page.Screenshot);
        (shot.Width, shot.Height).Should().Be((1280, 2400));
        shot.Pixels.Distinct().Count().Should().BeGreaterThan(20, "the page rendered text, pictures and charts, not a blank screen");
        TestContext.Current.AddAttachment("report.png", File.ReadAllBytes(page.Screenshot), "image/png");
    }

    [Fact]
    public void A_missing_picture_is_reported_as_broken()
    {
        Browser.Require();
        var results = SampleResults(dir);
        var files = GateReport.WriteAll(results, dir);
        File.Delete(Path.Combine(dir, "images", "sample-1.png"));

        var page = Browser.Check(files.Html, Path.Combine(dir, "broken.png"));

        page.Title.Should().Be("images-broken: images/sample-1.png", "the probe must be able to fail, or its 'images-ok' would prove nothing");
    }

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
