namespace Dflare.Gate.Tests;

/// <summary>
/// The MSBuild half of the gate on a real project that imports the repository's build/ props and targets (as the
/// package does): coded build errors, settings reaching the test assembly, generated tests and copied models. One
/// project, built several times, because every build costs seconds.
/// </summary>
public sealed class MsBuildGateTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dflare-gate-msbuild-").FullName;
    private readonly Shell shell = new Shell().Set("CI", "true");

    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    private string Project => Path.Combine(root, "GateMsbuild");

    private void CreateProject()
    {
        Directory.CreateDirectory(Project);
        var source = Path.Combine(SharedData.RepoRoot, "tests", "Fixtures", "GateMsbuild");
        File.WriteAllText(Path.Combine(Project, "GateMsbuild.csproj"), File.ReadAllText(Path.Combine(source, "GateMsbuild.csproj.template"))
            .Replace("@DFLARE_BUILD@", Path.Combine(SharedData.RepoRoot, "build"), StringComparison.Ordinal)
            .Replace("@DFLARE_XUNIT_PROJECT@", Path.Combine(SharedData.RepoRoot, "src", "Dflare.Xunit", "Dflare.Xunit.csproj"), StringComparison.Ordinal));
        File.Copy(Path.Combine(source, "Probe.cs"), Path.Combine(Project, "Probe.cs"));
        File.WriteAllText(Path.Combine(root, "global.json"), """{ "test": { "runner": "Microsoft.Testing.Platform" } }""");
        Directory.CreateDirectory(Path.Combine(Project, "models"));
        Directory.CreateDirectory(Path.Combine(root, "outside"));
        File.Copy(Demo("fashion-lenet.int8.onnx"), Path.Combine(Project, "models", "compressed.onnx"));
        File.Copy(Demo("fashion-lenet.int8.onnx.json"), Path.Combine(Project, "models", "compressed.onnx.json"));
        File.Copy(Demo("fashion-lenet.onnx"), Path.Combine(root, "outside", "original.onnx"));
        File.Copy(Demo("fashion-lenet.onnx.json"), Path.Combine(root, "outside", "original.onnx.json"));
        File.Copy(Demo("fashion-lenet.onnx"), Path.Combine(Project, "models", "extra.onnx"));
        Directory.CreateDirectory(Path.Combine(Project, "seeds"));
        foreach (var f in new[] { "fmnist-test-00000.png", "fmnist-test-00001.png", "labels.csv", "classes.txt" })
            File.Copy(Demo(Path.Combine("seeds", f)), Path.Combine(Project, "seeds", f));
    }

    private ShellResult Build(params string[] properties) =>
        shell.Dotnet(Project, ["build", "-c", "Release", "--no-restore", "-nologo", "-v", "q", .. properties]);

    [Fact]
    public void Bad_settings_and_missing_files_are_coded_build_errors_and_good_settings_reach_the_tests()
    {
        CreateProject();
        var restore = shell.Dotnet(Project, "restore");
        restore.ExitCode.Should().Be(0, restore.ToString());

        // Bad values: one coded error each, naming the value.
        (string Property, string Code, string Says)[] bad =
        [
            ("-p:DflareBudget=lots", "DFLARE001", "DflareBudget 'lots' must be a positive whole number"),
            ("-p:DflareBudget=0", "DFLARE001", "DflareBudget '0'"),
            ("-p:DflareBudget=1", "DFLARE001", "DflareBudget '1' must be a positive whole number of model queries per seed, at least 2"),
            ("-p:DflareRunSeed=x1", "DFLARE002", "DflareRunSeed 'x1'"),
            ("-p:DflareStrategy=annealing", "DFLARE003", "DflareStrategy 'annealing' is not a search strategy"),
            ("-p:DflareAcceptSnapshots=perhaps", "DFLARE004", "DflareAcceptSnapshots 'perhaps'"),
            ("-p:DflareFailOnDeviation=maybe", "DFLARE005", "DflareFailOnDeviation 'maybe'"),
            ("-p:DflareShard=3/2", "DFLARE006", "DflareShard '3/2' must be i/n"),
            ("-p:DflareShard=0/2", "DFLARE006", "DflareShard '0/2'"),
            ("-p:DflareShard=half", "DFLARE006", "DflareShard 'half'"),
            ("-p:DflareReportImageBaseUrl=ci/artifacts", "DFLARE019", "DflareReportImageBaseUrl 'ci/artifacts' is not an absolute http(s) URL"),
            ("-p:PairCompressed=models/missing.onnx", "DFLARE010", "the compressed model 'models/missing.onnx' does not exist"),
            ("-p:PairOriginal=models/gone.onnx", "DFLARE012", "the original model 'models/gone.onnx' does not exist"),
            ("-p:PairSeeds=no-seeds", "DFLARE014", "the seeds 'no-seeds' do not exist"),
            ("-p:PairBudget=-5", "DFLARE015", "Budget '-5' must be a positive whole number"),
            ("-p:DflareMinMargin=1.5", "DFLARE008", "DflareMinMargin '1.5' must be a number from 0 to below 1"),
            ("-p:DflareMaxLInf=300", "DFLARE008", "DflareMaxLInf '300' must be a whole number of grey levels"),
            ("-p:DflareMinSsim=high", "DFLARE008", "DflareMinSsim 'high'"),
            ("-p:DflareMaxDeviationRate=5%", "DFLARE008", "DflareMaxDeviationRate '5%'"),
            ("-p:DflareFailOnFixed=sometimes", "DFLARE008", "DflareFailOnFixed 'sometimes'"),
            ("-p:PairMinMargin=2", "DFLARE017", "MinMargin='2'"),
        ];
        foreach (var (property, code, says) in bad)
        {
            var r = Build(property);
            r.ExitCode.Should().NotBe(0, $"{property} is invalid\n{r}");
            r.Output.Should().Contain($"error {code}: ").And.Contain(says, r.ToString());
        }

        // Good settings reach the assembly; the generated test and copied models are there.
        var run = shell.Dotnet(Project, "test", "-c", "Release", "-p:DflareShard=2/3", "-p:DflareBudget=77", "-p:DflareRunSeed=5",
            "-p:DflareStrategy=DiffChaser", "-p:DflareFailOnDeviation=false", "-p:DflareReportDirectory=out/report",
            "-p:DflareReportImageBaseUrl=https://ci.example.com/runs/7/dflare/", "-p:DflareMinMargin=0.3", "-p:DflareMaxLInf=0", "-p:DflareMinSsim=0.9",
            "-p:DflareMaxDeviationRate=0.05", "-p:DflareFailOnFixed=True", "-p:PairMinMargin=0.25", "-p:PairMaxLInf=16", "--filter-class", "GateMsbuild.Probe");
        run.ExitCode.Should().Be(0, run.ToString());
        var output = Path.Combine(Project, "bin", "Release", "net10.0");
        File.ReadAllText(Path.Combine(output, "settings.txt")).Should().Be(string.Join("\n",
            "Budget=77", "RunSeed=5", "Strategy=diffchaser", "Accept=False", $"Report={Path.Combine(Project, "out", "report")}/", "Fail=False", "Shard=(2, 3)",
            "ImageBaseUrl=https://ci.example.com/runs/7/dflare", "MinMargin=0.3", "MaxLInf=0", "MinSsim=0.9", "MaxDeviationRate=0.05", "FailOnFixed=True"));
        File.ReadAllText(Path.Combine(Project, "obj", "Release", "net10.0", "Dflare.Testing.g.cs")).Should()
            .Contain("AllowedDeviations = 0, MaxLInf = 16, MinMargin = 0.25)]", "item metadata become attribute arguments");

        // Defaults: no DflareBudget means each test's own budget (no metadata); reports on, gate on.
        var defaults = shell.Dotnet(Project, "test", "-c", "Release", "--filter-class", "GateMsbuild.Probe");
        defaults.ExitCode.Should().Be(0, defaults.ToString());
        File.ReadAllText(Path.Combine(output, "settings.txt")).Should().Be(string.Join("\n",
            "Budget=", "RunSeed=", "Strategy=", "Accept=False", $"Report={Path.Combine(Project, "TestResults", "dflare")}/", "Fail=True", "Shard=", "ImageBaseUrl=",
            "MinMargin=", "MaxLInf=", "MinSsim=", "MaxDeviationRate=", "FailOnFixed="));

        var generated = File.ReadAllText(Path.Combine(Project, "obj", "Release", "net10.0", "Dflare.Testing.g.cs"));
        generated.Should().Contain("[assembly: global::Xunit.AssemblyFixture(typeof(global::Dflare.Xunit.Reporting.DflareReportFixture))]")
            .And.Contain("DeviationSearch(@\"dflare-models/original.onnx\", @\"models/compressed.onnx\", sourceFilePath:", "no budget argument: the attribute's default, CheckDefaults.Budget")
            .And.Contain("AllowedDeviations = 0)] public void compressed()", "without item settings the attribute's defaults (CheckDefaults) apply");
        foreach (var f in new[] { "models/compressed.onnx", "models/compressed.onnx.json", "models/extra.onnx", "dflare-models/original.onnx", "dflare-models/original.onnx.json" })
            File.Exists(Path.Combine(output, f)).Should().BeTrue($"{f} is copied to the output folder");

        var list = shell.Dotnet(Project, "test", "-c", "Release", "--no-build", "--list-tests");
        list.Output.Should().Contain("Dflare.Generated.DflareModelPairs.compressed [original.onnx vs compressed.onnx]", "one case per pair by default")
            .And.NotContain("seed fmnist-test-00001]");
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
