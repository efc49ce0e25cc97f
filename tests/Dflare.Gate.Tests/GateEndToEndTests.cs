using System.Xml.Linq;
using Dflare.Reports;

namespace Dflare.Gate.Tests;

/// <summary>
/// The gate as a team adopts it, from the packages: pack to a local folder → install the template → `dotnet new
/// dflare-tests` → point it at the demo pair → `dotnet test` fails with received snapshots and a report → accept →
/// passes → report-only mode passes but reports a new deviation → shards 1/2 and 2/2 cover every seed once and
/// `dflare merge` gives the unsharded counts. One sequential story: each step builds on the files the last one left.
/// </summary>
public sealed class GateEndToEndTests : IDisposable
{
    private const int Seeds = 4;
    private const string Budget = "400";
    private readonly string root = Directory.CreateTempSubdirectory("dflare-gate-e2e-").FullName;
    private readonly ITestOutputHelper log = TestContext.Current.TestOutputHelper!;

    private static string Demo(string name) => Path.Combine(SharedData.RepoRoot, "src", "Dflare.Cli", "Demo", name);

    [Fact]
    public void Pack_template_new_project_fail_accept_pass_report_only_and_shards_merge_to_the_unsharded_counts()
    {
        var version = "0.1.0";
        string feed = Path.Combine(root, "feed"), home = Path.Combine(root, "home"), packages = Path.Combine(root, "packages"),
               work = Path.Combine(root, "work"), project = Path.Combine(work, "MyModelTests"), tools = Path.Combine(root, "tools");
        foreach (var d in new[] { feed, home, packages, work }) Directory.CreateDirectory(d);
        var shell = new Shell().Set("DOTNET_CLI_HOME", home).Set("NUGET_PACKAGES", packages).Set("CI", "true");

        // 1. Pack the four packages into a local folder; this test project's build (same configuration) built them.
        var configuration = AppContext.BaseDirectory.Replace('\\', '/').Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        foreach (var p in new[] { "src/Dflare.Core", "src/Dflare.Xunit", "src/Dflare.Cli", "templates/Dflare.Templates" })
            Step(shell.Dotnet(SharedData.RepoRoot, "pack", Path.Combine(SharedData.RepoRoot, p), "-c", configuration, "--no-build", "-o", feed, "-nologo"));
        Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).Should().BeEquivalentTo(
            $"Dflare.Core.{version}.nupkg", $"Dflare.Testing.{version}.nupkg", $"Dflare.Cli.{version}.nupkg", $"Dflare.Templates.{version}.nupkg");

        // A consumer's repository: the local feed plus the usual source. Packages other than ours come from this
        // machine's package folder (read-only fallback), ours always from the feed into a fresh folder.
        Run(shell, work, "git", "init", "-q");
        File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{CuratedFallbackFolder()}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        // 2. Install the template from the folder, 3. create the project, pointed at the demo pair.
        Step(shell.Dotnet(work, "new", "install", Path.Combine(feed, $"Dflare.Templates.{version}.nupkg")));
        var created = Step(shell.Dotnet(work, "new", "dflare-tests", "-n", "MyModelTests",
            "--original", "models/original.onnx", "--compressed", "models/compressed.onnx", "--seeds", "seeds", "--budget", Budget));
        foreach (var f in new[] { "MyModelTests.csproj", "ModelTests.cs", ".gitignore", ".gitattributes" })
            File.Exists(Path.Combine(project, f)).Should().BeTrue($"the template makes {f}\n{created}");
        File.ReadAllText(Path.Combine(work, "global.json")).Should().Contain("Microsoft.Testing.Platform", "the template sets the test runner at the repository root");
        var csproj = File.ReadAllText(Path.Combine(project, "MyModelTests.csproj"));
        csproj.Should().Contain($"Include=\"Dflare.Testing\" Version=\"{version}\"").And.Contain("<DflareModelPair Include=\"models/compressed.onnx\" Original=\"models/original.onnx\" Seeds=\"seeds\" Budget=\"400\" Sample=\"200\" />");
        File.ReadAllText(Path.Combine(project, ".gitignore")).Should().Contain("*.received.*");
        File.ReadAllText(Path.Combine(project, ".gitattributes")).Should().Contain("*.verified.png  binary");
        // The CI workflow is an item template run at the repository root, where GitHub finds it.
        Step(shell.Dotnet(work, "new", "dflare-ci", "--project", "MyModelTests"));
        File.ReadAllText(Path.Combine(work, ".github/workflows/dflare-gate.yml")).Should().Contain("pull_request").And.Contain("upload-artifact")
            .And.Contain("DflareShard").And.Contain("PROJECT: MyModelTests").And.Contain("dflare merge").And.Contain("gh pr comment");

        // The pair: the demo original and a 50 %-pruned copy made with the project's compressor (the demo's weight-only
        // int8 copy has no confident deviation within 32 grey levels, so with the defaults it would simply pass).
        Copy(Demo("fashion-lenet.onnx"), Path.Combine(project, "models", "original.onnx"));
        Copy(Demo("fashion-lenet.onnx.json"), Path.Combine(project, "models", "original.onnx.json"));
        Dflare.Compression.Compressor.Compress(Demo("fashion-lenet.onnx"), Path.Combine(project, "models", "compressed.onnx"), Dflare.Compression.CompressionMethod.Parse("prune:0.5"));
        var seedFiles = Directory.GetFiles(Demo("seeds"), "*.png").Order(StringComparer.Ordinal).Skip(4).Take(Seeds).ToList();
        foreach (var f in seedFiles.Append(Demo("seeds/labels.csv")).Append(Demo("seeds/classes.txt")))
            Copy(f, Path.Combine(project, "seeds", Path.GetFileName(f)));
        var report = Path.Combine(project, "TestResults", "dflare");
        var snapshots = Path.Combine(project, "Snapshots");

        // 4. dotnet test: the int8 copy deviates → exit 2, received snapshots, the report.
        var first = shell.Dotnet(project, "test", "-c", "Release");
        log.WriteLine(first.ToString());
        first.ExitCode.Should().Be(2, first.ToString());
        first.Output.Should().Contain("FAILED.").And.Contain("new seed").And.Contain("margin").And.Contain("Dflare report:");
        var r1 = GateResultsStore.Read(report);
        var pair = r1.Pairs.Should().ContainSingle().Subject;
        pair.SeedCount.Should().Be(Seeds, "the generated test searches the 4 seeds (a sample of 200 takes them all); the template's examples are not compiled");
        pair.New.Should().BeGreaterThan(0).And.Be(pair.Deviations);
        Directory.GetFiles(snapshots, "*.received.png").Where(f => !f.EndsWith(".composite.png", StringComparison.Ordinal)).Should().HaveCount(pair.New);
        r1.Cases.Select(c => c.TestClass).Should().OnlyContain(c => c == "Dflare.Generated.DflareModelPairs");
        foreach (var s in r1.Cases.SelectMany(c => c.Seeds).Where(s => s.Deviates))
            File.Exists(Path.Combine(report, s.Image!)).Should().BeTrue($"the picture of seed {s.Id} is in the report");
        File.ReadAllText(Path.Combine(report, "summary.md")).Should().Contain("❌ failed").And.Contain($"| `compressed.onnx` vs `original.onnx` | ❌ failed | {pair.SeedCount} |").And.Contain("](images/");
        var failedTests = int.Parse(System.Text.RegularExpressions.Regex.Match(first.Output, @"failed: (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var junit1 = XDocument.Load(Path.Combine(report, "junit.xml"));
        (junit1.Descendants("failure").Count() + junit1.Descendants("error").Count()).Should().Be(failedTests, "junit.xml's failures are dotnet test's failing test cases");
        File.ReadAllText(Path.Combine(report, "report.html")).Should().Contain("<svg").And.Contain("src=\"images/");

        // 5. Accept with the packed dflare tool, 6. dotnet test passes.
        Step(shell.Dotnet(work, "tool", "install", "Dflare.Cli", "--version", version, "--tool-path", tools));
        var dflare = Path.Combine(tools, "dflare");
        Step(Run(shell, project, dflare, "accept", "Snapshots"));
        Directory.GetFiles(snapshots, "*.received.*").Should().BeEmpty();
        var second = shell.Dotnet(project, "test", "-c", "Release");
        second.ExitCode.Should().Be(0, second.ToString());
        var r2 = GateResultsStore.Read(report).Pairs.Single();
        (r2.New, r2.Known, r2.Deviations).Should().Be((0, pair.Deviations, pair.Deviations));

        // 7. Report-only: a new deviation (one verified snapshot removed) passes but is reported.
        var verified = Directory.GetFiles(snapshots, "DflareModelPairs.*.verified.png").Order(StringComparer.Ordinal).First();
        File.Delete(verified);
        File.Delete(Path.ChangeExtension(verified, ".json"));
        var reportOnly = shell.Dotnet(project, "test", "-c", "Release", "-p:DflareFailOnDeviation=false");
        reportOnly.ExitCode.Should().Be(0, reportOnly.ToString());
        var r3 = GateResultsStore.Read(report);
        r3.FailOnDeviation.Should().BeFalse();
        var p3 = r3.Pairs.Single();
        (p3.New, p3.Known).Should().Be((1, pair.Deviations - 1));
        File.ReadAllText(Path.Combine(report, "summary.md")).Should().Contain("report-only").And.Contain("1 new");
        var junit = XDocument.Load(Path.Combine(report, "junit.xml"));
        junit.Descendants("failure").Should().BeEmpty("report-only mode fails nothing");
        junit.Descendants("system-out").Should().Contain(e => e.Value.StartsWith("report-only:", StringComparison.Ordinal));
        Directory.GetFiles(snapshots, "*.received.png").Should().NotBeEmpty("the new deviation still writes its received snapshot");

        // 8. Shards 1/2 and 2/2 cover every seed exactly once; dflare merge gives the unsharded counts.
        var shardDirs = new List<string>();
        foreach (var shard in new[] { "1/2", "2/2" })
        {
            var dir = Path.Combine(root, "shard-" + shard[0]);
            shardDirs.Add(dir);
            var run = shell.Dotnet(project, "test", "-c", "Release", "-p:DflareFailOnDeviation=false", $"-p:DflareShard={shard}", $"-p:DflareReportDirectory={dir}");
            run.ExitCode.Should().Be(0, run.ToString());
            GateResultsStore.Read(dir).Shards.Should().Equal(shard);
        }
        static IEnumerable<string> Keys(GateResults r) => r.Cases.SelectMany(c => c.Seeds.Select(s => $"{c.TestClass}.{c.TestMethod}|{s.Id}"));
        var k1 = Keys(GateResultsStore.Read(shardDirs[0])).ToList();
        var k2 = Keys(GateResultsStore.Read(shardDirs[1])).ToList();
        k1.Should().NotBeEmpty().And.OnlyHaveUniqueItems();
        k2.Should().NotBeEmpty().And.OnlyHaveUniqueItems();
        k1.Intersect(k2).Should().BeEmpty("no seed is in both shards");
        k1.Concat(k2).Should().BeEquivalentTo(Keys(r3), "together the shards search every seed of the unsharded run");

        var merged = Path.Combine(root, "merged");
        var merge = Step(Run(shell, root, dflare, ["merge", merged, .. shardDirs]));
        merge.Output.Should().NotContain("warning");
        var m = GateResultsStore.Read(merged);
        m.Shards.Should().Equal("1/2", "2/2");
        var mp = m.Pairs.Single();
        (mp.SeedCount, mp.Deviations, mp.New, mp.Known, mp.Fixed, mp.Queries).Should().Be((p3.SeedCount, p3.Deviations, p3.New, p3.Known, p3.Fixed, p3.Queries));
        foreach (var s in m.Cases.SelectMany(c => c.Seeds).Where(s => s.Image is not null))
            File.Exists(Path.Combine(merged, s.Image!)).Should().BeTrue($"merge copies the picture of seed {s.Id}");
        File.ReadAllText(Path.Combine(merged, "report.html")).Should().Contain("shard(s) 1/2, 2/2");

        // The merged HTML in a real browser: every picture loads.
        if (Browser.Executable is not null)
        {
            var page = Browser.Check(Path.Combine(merged, "report.html"), Path.Combine(root, "merged.png"));
            page.Title.Should().Be($"images-ok {mp.Deviations}", page.Log);
        }
    }

    private ShellResult Step(ShellResult r)
    {
        log.WriteLine(r.ToString());
        r.ExitCode.Should().Be(0, r.ToString());
        return r;
    }

    private static ShellResult Run(Shell shell, string dir, string file, params string[] args) => shell.Run(dir, file, args);

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
    }

    /// <summary>
    /// This machine's package folder without any Dflare package, as a read-only fallback: third-party packages need not
    /// be downloaded again, and a Dflare package left there by an earlier manual try can never shadow the fresh pack.
    /// </summary>
    private string CuratedFallbackFolder()
    {
        var machine = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } np ? np
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var curated = Path.Combine(root, "fallback");
        Directory.CreateDirectory(curated);
        if (Directory.Exists(machine))
            foreach (var d in Directory.GetDirectories(machine))
                if (!Path.GetFileName(d).StartsWith("dflare.", StringComparison.OrdinalIgnoreCase))
                    Directory.CreateSymbolicLink(Path.Combine(curated, Path.GetFileName(d)), d);
        return curated;
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
