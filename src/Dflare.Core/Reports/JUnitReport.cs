using System.Globalization;
using System.Xml.Linq;
using Dflare.Check;

namespace Dflare.Reports;

/// <summary>
/// The JUnit XML of a gate run: one <c>testsuite</c> per model pair with one <c>testcase</c> per test case of
/// <c>dotnet test</c> (a per-pair case, or one per seed), and one suite for the QUANOS checks. A case that failed the
/// check is a <c>failure</c>, a case that errored (configuration, unreadable snapshot, unwritable folder) an
/// <c>error</c>; the others pass and carry their findings in <c>system-out</c>.
/// </summary>
public static class JUnitReport
{
    /// <summary>Renders the XML document.</summary>
    public static string Render(GateResults r)
    {
        var suites = new List<XElement>();
        foreach (var p in r.Pairs)
        {
            var cases = new List<XElement>();
            int failures = 0, errors = 0;
            foreach (var c in p.Cases)
            {
                var seedPart = c.Id.EndsWith(']') && c.Id.LastIndexOf("[seed=", StringComparison.Ordinal) is var at and >= 0 ? " " + c.Id[at..] : "";
                var tc = new XElement("testcase",
                    new XAttribute("classname", c.TestClass),
                    new XAttribute("name", c.TestMethod + seedPart),
                    new XAttribute("time", F(c.Seconds)));
                var text = Describe(c);
                var seedErrors = c.Seeds.Where(s => s.State == SeedState.Error).ToList();
                if (c.Error is not null || (!c.Passed && seedErrors.Count > 0))
                {
                    errors++;
                    var message = c.Error ?? $"{seedErrors.Count} seed(s) could not be checked: {seedErrors[0].Note}";
                    tc.Add(new XElement("error", new XAttribute("message", message), new XAttribute("type", "DflareError"), c.Message ?? message));
                }
                else if (!c.Passed)
                {
                    failures++;
                    tc.Add(new XElement("failure", new XAttribute("message", (c.Message ?? "").Split('\n')[0]), new XAttribute("type", "DflareDeviation"), text));
                }
                else tc.Add(new XElement("system-out", (c.Seeds.Any(s => CheckRule.IsProblem(s.State, c.Policy)) && !r.FailOnDeviation ? "report-only: " : "") + text));
                cases.Add(tc);
            }
            suites.Add(new XElement("testsuite",
                new XAttribute("name", p.Title), new XAttribute("tests", cases.Count), new XAttribute("failures", failures),
                new XAttribute("errors", errors), new XAttribute("skipped", 0), new XAttribute("time", F(p.Seconds)),
                new XElement("properties",
                    Prop("original", p.Original), Prop("compressed", p.Compressed),
                    Prop("headline", p.Headline),
                    Prop("deviations", p.Deviations.ToString(CultureInfo.InvariantCulture)),
                    Prop("queries", p.Queries.ToString(CultureInfo.InvariantCulture))),
                cases));
        }
        if (r.Robustness.Count > 0)
        {
            var cases = r.Robustness.Select(c =>
            {
                var tc = new XElement("testcase", new XAttribute("classname", c.TestClass), new XAttribute("name", c.TestMethod), new XAttribute("time", F(c.Seconds)));
                var text = string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFileName(c.Model)}: ε {c.Epsilon:G4}, clean accuracy {c.CleanAccuracy:P1}, adversarial accuracy {c.AdversarialAccuracy:P1}, median flip ε {c.MedianFlipEpsilon?.ToString("G4", CultureInfo.InvariantCulture) ?? "–"}");
                if (!c.Passed) tc.Add(new XElement("failure", new XAttribute("message", c.Message ?? "robustness check failed"), new XAttribute("type", "DflareRobustness"), text));
                else tc.Add(new XElement("system-out", text));
                return tc;
            }).ToList();
            suites.Add(new XElement("testsuite", new XAttribute("name", "QUANOS robustness"), new XAttribute("tests", cases.Count),
                new XAttribute("failures", r.Robustness.Count(c => !c.Passed)), new XAttribute("errors", 0), new XAttribute("skipped", 0),
                new XAttribute("time", F(r.Robustness.Sum(c => c.Seconds))), cases));
        }
        var root = new XElement("testsuites", new XAttribute("name", "dflare"),
            new XAttribute("tests", suites.Sum(s => (int)s.Attribute("tests")!)),
            new XAttribute("failures", suites.Sum(s => (int)s.Attribute("failures")!)),
            new XAttribute("errors", suites.Sum(s => (int)s.Attribute("errors")!)),
            new XAttribute("time", F(r.Cases.Sum(c => c.Seconds) + r.Robustness.Sum(c => c.Seconds))),
            suites);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root + "\n";
    }

    private static string Describe(DeviationCaseRecord c)
    {
        var lines = new List<string> { c.Message ?? c.Error ?? "" };
        foreach (var s in c.Seeds.Where(s => s.State != SeedState.Clean))
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{s.State.Word()} seed {s.Id}: {MarkdownSummary.Labels(s)}; margins {MarkdownSummary.Margins(s)}; L∞ {s.LInf?.ToString(CultureInfo.InvariantCulture) ?? "–"}; {s.Queries} queries{(s.Image is null ? "" : $"; picture {s.Image}")}{(s.Note is null ? "" : "; " + s.Note)}"));
        return string.Join("\n", lines);
    }

    private static XElement Prop(string name, string value) => new("property", new XAttribute("name", name), new XAttribute("value", value));

    private static string F(double seconds) => seconds.ToString("F3", CultureInfo.InvariantCulture);
}
