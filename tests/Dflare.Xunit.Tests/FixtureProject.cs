using System.Diagnostics;
using System.Xml.Linq;

namespace Dflare.Xunit.Tests;

/// <summary>The outcome of one test case in a fixture run, read from its JUnit report.</summary>
public sealed record CaseResult(string Name, bool Failed, bool Skipped, string Message);

/// <summary>The result of running a fixture test project.</summary>
public sealed record FixtureRun(int ExitCode, string Output, IReadOnlyList<CaseResult> Cases, string ResultsDirectory)
{
    public IReadOnlyList<CaseResult> Matching(string methodName) => Cases.Where(c => c.Name.Contains("." + methodName + " ", StringComparison.Ordinal) || c.Name.EndsWith("." + methodName, StringComparison.Ordinal)).ToList();
    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>
/// A copy of a fixture test project (tests/Fixtures/NAME) in a temporary folder, referencing this repository's
/// Dflare.Xunit, built once and run as many times as a test needs.
/// </summary>
public sealed class FixtureProject : IDisposable
{
    public FixtureProject(string name)
    {
        Name = name;
        Directory = System.IO.Directory.CreateTempSubdirectory($"dflare-fixture-{name}-").FullName;
        var source = Path.Combine(SharedData.RepoRoot, "tests", "Fixtures", name);
        foreach (var f in System.IO.Directory.GetFiles(source))
        {
            var fileName = Path.GetFileName(f);
            if (fileName.EndsWith(".template", StringComparison.Ordinal))
            {
                var text = File.ReadAllText(f).Replace("@DFLARE_XUNIT_PROJECT@", Path.Combine(SharedData.RepoRoot, "src", "Dflare.Xunit", "Dflare.Xunit.csproj"));
                File.WriteAllText(Path.Combine(Directory, fileName[..^".template".Length]), text);
            }
            else File.Copy(f, Path.Combine(Directory, fileName));
        }
        File.WriteAllText(Path.Combine(Directory, "global.json"), """{ "test": { "runner": "Microsoft.Testing.Platform" } }""");
    }

    public string Name { get; }
    public string Directory { get; }
    public string OutputDirectory => Path.Combine(Directory, "bin", "Release", "net10.0");
    public string SnapshotDirectory => Path.Combine(Directory, "Snapshots");

    /// <summary>Copies a file into the project (relative path), for inclusion in its output.</summary>
    public void Add(string relative, string from)
    {
        var dest = Path.Combine(Directory, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        File.Copy(from, dest, overwrite: true);
    }

    /// <summary>Replaces a file in the build output (no rebuild needed).</summary>
    public void ReplaceInOutput(string relative, string from) => File.Copy(from, Path.Combine(OutputDirectory, relative), overwrite: true);

    public void Build()
    {
        var (code, output) = Exec("dotnet", ["build", Directory, "-c", "Release", "-nologo", "-v", "q"], TimeSpan.FromMinutes(8));
        if (code != 0) throw new InvalidOperationException($"Building the {Name} fixture failed (exit {code}):\n{output}");
    }

    public FixtureRun Run(params string[] extra) => RunWith(new Dictionary<string, string>(), extra);

    /// <summary>Runs the built tests with extra environment variables (e.g. DFLARE_REPORT_DIR, DFLARE_SHARD).</summary>
    public FixtureRun RunWith(IReadOnlyDictionary<string, string> env, params string[] extra)
    {
        var results = Path.Combine(Directory, "results-" + Guid.NewGuid().ToString("N")[..8]);
        var args = new List<string> { "exec", Path.Combine(OutputDirectory, Name + ".dll"), "--report-xunit-junit", "--results-directory", results };
        args.AddRange(extra);
        var (code, output) = Exec("dotnet", args, TimeSpan.FromMinutes(5), OutputDirectory, env);
        var cases = new List<CaseResult>();
        if (System.IO.Directory.Exists(results))
            foreach (var junit in System.IO.Directory.GetFiles(results, "*.junit.xml"))
                foreach (var tc in XDocument.Load(junit).Descendants("testcase"))
                {
                    var failure = tc.Element("failure") ?? tc.Element("error");
                    var skipped = tc.Element("skipped");
                    cases.Add(new CaseResult((string?)tc.Attribute("name") ?? "", failure is not null, skipped is not null,
                        ((string?)failure?.Attribute("message") ?? "") + (failure?.Value ?? "") + ((string?)skipped?.Attribute("message") ?? "") + (skipped?.Value ?? "")));
                }
        return new FixtureRun(code, output, cases, results);
    }

    private static (int, string) Exec(string file, IEnumerable<string> args, TimeSpan timeout, string? cwd = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (cwd is not null) psi.WorkingDirectory = cwd;
        foreach (var a in args) psi.ArgumentList.Add(a);
        // No Dflare setting of the developer's shell may reach the fixture run (as in the gate tests' Shell); where the shared data lives may.
        foreach (var v in psi.Environment.Keys.Where(k => (k.StartsWith("DFLARE_", StringComparison.Ordinal) && k != "DFLARE_SHARED") || k.StartsWith("Dflare", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(v);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} timed out"); }
        return (p.ExitCode, so.Result + se.Result);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
