using System.CommandLine;
using Dflare.Reports;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare report DIR</c>: rebuilds the HTML, Markdown and JUnit views of a test run from its results.json. It
/// judges nothing (the verdicts are the run's), so it exits <see cref="CommandRunner.Ok"/> whatever they are.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "The report directory of a Dflare test run (holding results.json)." };
        var baseUrl = ImageBaseUrlOption();
        var cmd = new Command("report", "Rebuild report.html, summary.md and junit.xml of a Dflare test run from its results.json.") { dir, baseUrl };
        cmd.SetAction(r => CommandRunner.Run(() =>
        {
            var folder = Path.GetFullPath(r.GetValue(dir)!);
            var url = ReportLinks.NormalizeBaseUrl(r.GetValue(baseUrl), "--image-base-url");
            if (!Directory.Exists(folder)) throw new DflareException($"Report directory '{folder}' does not exist.");
            var results = GateResultsStore.Read(folder);
            OutputLocation.CheckFolder(folder, "Report directory");
            // A new base URL is written into results.json too, so that a later rebuild keeps the links.
            var files = url is null ? GateReport.WriteViews(results, folder) : GateReport.WriteAll(results = results with { ImageBaseUrl = url }, folder);
            Summarize(results);
            Console.Out.WriteLine($"wrote {files.Html}");
            Console.Out.WriteLine($"wrote {files.Markdown}");
            Console.Out.WriteLine($"wrote {files.JUnit}");
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    /// <summary>The <c>--image-base-url</c> option of <c>report</c> and <c>merge</c>.</summary>
    public static Option<string?> ImageBaseUrlOption() => new("--image-base-url")
    {
        Description = "Where the report directory will be published (e.g. a CI artifact URL): summary.md then links pictures as URL/images/..., so they open from a pull-request comment.",
    };

    /// <summary>Prints each pair's headline (verdict, deviation rate, states, accuracy) and its queries.</summary>
    public static void Summarize(GateResults results)
    {
        foreach (var p in results.Pairs)
            Console.Out.WriteLine($"{p.Headline} {p.Queries} queries.");
        foreach (var c in results.Robustness)
            Console.Out.WriteLine(c.CleanAccuracy is null && !c.Passed
                ? $"{Path.GetFileName(c.Model)}: robustness check {c.TestMethod} could not run: {c.Message?.Split('\n')[0]}"
                : $"{Path.GetFileName(c.Model)}: robustness {(c.Passed ? "passed" : "failed")} (ε {c.Epsilon}, clean {c.CleanAccuracy:P1}, adversarial {c.AdversarialAccuracy:P1})");
    }
}
