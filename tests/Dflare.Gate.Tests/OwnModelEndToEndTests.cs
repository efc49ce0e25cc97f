using System.Diagnostics;
using Dflare.Reports;

namespace Dflare.Gate.Tests;

/// <summary>
/// "Your own model in five minutes" as a new team does it, from the packages: a class-subfolder image set of its own
/// (root/&lt;class&gt;/*.png with a classes.txt giving the model's class order), an ONNX pair whose original has no
/// sidecar, `dotnet new dflare-tests` with the preprocessing and the package feed as options, and a first `dotnet test`
/// that restores, checks the pair on the unmodified seeds and gives a verdict with no manual step.
/// </summary>
public sealed class OwnModelEndToEndTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dflare-own-model-").FullName;
    private readonly ITestOutputHelper log = TestContext.Current.TestOutputHelper!;

    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    [Fact]
    public void Class_folders_and_a_sidecar_less_pair_give_a_verdict_on_the_first_dotnet_test()
    {
        string feed = Path.Combine(root, "feed"), repo = Path.Combine(root, "repo"), project = Path.Combine(repo, "MyModelTests");
        var shell = new Shell().Set("DOTNET_CLI_HOME", Path.Combine(root, "home")).Set("NUGET_PACKAGES", Path.Combine(root, "packages")).Set("CI", "true");
        var version = PackedFeed.Pack(shell, feed, log);
        using (var cli = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"Dflare.Cli.{version}.nupkg")))
        {
            cli.Entries.Should().Contain(e => e.FullName.Contains("runtimes/linux-x64/native/libonnxruntime.so", StringComparison.Ordinal));
            cli.Entries.Should().NotContain(e => e.FullName.Contains("runtimes/android/", StringComparison.Ordinal) || e.FullName.Contains("runtimes/ios/", StringComparison.Ordinal),
                "the tool ships the desktop ONNX Runtime runtimes only");
        }
        new FileInfo(Path.Combine(feed, $"Dflare.Cli.{version}.nupkg")).Length.Should().BeLessThan(80L << 20);

        // The team's own files: models without sidecars, images in one folder per class.
        Directory.CreateDirectory(Path.Combine(repo, "models"));
        File.Copy(Demo("fashion-lenet.onnx"), Path.Combine(repo, "models", "original.onnx"));
        // A bad compression (half the weights pruned): the demo's weight-only int8 copy has no confident deviation within
        // the default 32 grey levels, so with the defaults it simply passes; this one must be caught.
        Dflare.Compression.Compressor.Compress(Demo("fashion-lenet.onnx"), Path.Combine(repo, "models", "compressed.onnx"), Dflare.Compression.CompressionMethod.Parse("prune:0.5"));
        File.Delete(Path.Combine(repo, "models", "compressed.onnx.json")); // the compressor copies the demo's sidecar; this team has none
        var names = File.ReadAllLines(Demo("seeds/classes.txt")).Where(l => l.Trim().Length > 0).Select(n => n.Replace('/', '-')).ToList();
        var images = Path.Combine(repo, "data", "fashion");
        foreach (var line in File.ReadAllLines(Demo("seeds/labels.csv")).Skip(1).Where(l => l.Contains(',', StringComparison.Ordinal)))
        {
            var cells = line.Split(',');
            var dir = Directory.CreateDirectory(Path.Combine(images, names[int.Parse(cells[1], System.Globalization.CultureInfo.InvariantCulture)])).FullName;
            File.Copy(Demo(Path.Combine("seeds", cells[0])), Path.Combine(dir, cells[0]));
        }
        File.WriteAllLines(Path.Combine(images, "classes.txt"), names); // the model's class order (sorted folder names differ)
        // This machine's offline package folder; the Dflare packages come only from the feed the template writes.
        File.WriteAllText(Path.Combine(repo, "nuget.config"), PackedFeed.OfflineConfig(root));
        shell.Run(repo, "git", ["init", "-q"]);

        var clock = Stopwatch.StartNew();
        Step(shell.Dotnet(repo, "new", "install", Path.Combine(feed, $"Dflare.Templates.{version}.nupkg")));
        Step(shell.Dotnet(repo, "new", "dflare-tests", "-n", "MyModelTests", "--original", "../models/original.onnx", "--compressed", "../models/compressed.onnx",
            "--seeds", "../data/fashion", "--scale", "0.00392156862745098", "--mean", "0.5", "--std", "0.5", "--sample", "20", "--budget", "300",
            "--package-source", Path.GetRelativePath(project, feed)));
        // A relative feed is relative to the project folder, like the model paths (NuGet reads it from the nuget.config's folder).
        File.ReadAllText(Path.Combine(project, "nuget.config")).Should().Contain("value=\"../../feed\"");
        File.ReadAllText(Path.Combine(project, "sidecars", "original.onnx.json")).Should().Contain("\"mean\": [ 0.5 ]");
        File.ReadAllText(Path.Combine(project, "ModelTests.cs")).Should().Contain("#if DFLARE_QUANOS")
            .And.Contain("""[DeviationSearch("dflare-models/original.onnx", "dflare-models/compressed.onnx", 300, Seeds = "../data/fashion",""",
                "the examples use the output-folder copies that have the sidecars (the models themselves have none, so they would be fed pixel/255)")
            .And.Contain("""Model = "dflare-models/compressed.onnx", Original = "dflare-models/original.onnx",""");
        Directory.Exists(Path.Combine(project, "models")).Should().BeFalse("the models are used where they are");

        var first = shell.Dotnet(project, "test", "-c", "Release");
        clock.Stop();
        log.WriteLine(first.ToString());
        log.WriteLine($"template → first verdict: {clock.Elapsed.TotalSeconds:F0} s");
        first.ExitCode.Should().Be(2, "the pruned copy deviates confidently from the original: " + first);
        first.Output.Should().Contain("seeds deviate").And.Contain("FAILED").And.NotContain("probably wrong");
        var results = GateResultsStore.Read(Path.Combine(project, "TestResults", "dflare"));
        var pair = results.Pairs.Should().ContainSingle().Subject;
        pair.SeedCount.Should().Be(20);
        pair.New.Should().BeGreaterThan(0);
        var seeds = results.Cases.SelectMany(c => c.Seeds).ToList();
        seeds.Select(s => s.Id.Split('.')[0]).Distinct().Should().HaveCount(names.Count, "a sample of 20 takes 2 seeds from each of the 10 class folders");
        seeds.Where(s => s.Deviates).Should().OnlyContain(s => names.Contains(s.OriginalClass!), "the report names classes from classes.txt");
        var output = Path.Combine(project, "bin", "Release", "net10.0", "dflare-models");
        File.ReadAllText(Path.Combine(output, "original.onnx.json")).Should().Contain("\"scale\": 0.00392156862745098", "the sidecar goes beside the model the tests load");
    }

    private ShellResult Step(ShellResult r)
    {
        log.WriteLine(r.ToString());
        r.ExitCode.Should().Be(0, r.ToString());
        return r;
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
