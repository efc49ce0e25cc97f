using System.Globalization;
using System.Xml.Linq;

namespace Dflare.Reports;

/// <summary>
/// The JUnit XML of a gate run: one <c>testsuite</c> per model pair with one <c>testcase</c> per seed, and one suite for
/// the QUANOS checks. A seed fails when its deviation is not accepted (or a verified one is gone) and the run fails on
/// deviations; in report-only mode such seeds pass and carry the finding in <c>system-out</c>.
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
            int failures = 0;
            foreach (var (c, s) in p.AllSeeds)
            {
                var tc = new XElement("testcase",
                    new XAttribute("classname", c.TestClass),
                    new XAttribute("name", $"{c.TestMethod} [seed {s.Id}]"),
                    new XAttribute("time", F(s.Seconds)));
                bool problem = s.IsUnaccepted || s.Snapshot == SnapshotState.Gone;
                var text = Describe(s);
                if (problem && r.FailOnDeviation)
                {
                    failures++;
                    tc.Add(new XElement("failure", new XAttribute("message", Headline(s)), new XAttribute("type", "DflareDeviation"), text));
                }
                else if (s.Deviates || problem) tc.Add(new XElement("system-out", (problem ? "report-only: " : "") + text));
                cases.Add(tc);
            }
            suites.Add(new XElement("testsuite",
                new XAttribute("name", p.Title), new XAttribute("tests", cases.Count), new XAttribute("failures", failures),
                new XAttribute("errors", 0), new XAttribute("skipped", 0), new XAttribute("time", F(p.Seconds)),
                new XElement("properties",
                    Prop("original", p.Original), Prop("compressed", p.Compressed),
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
            new XAttribute("errors", 0),
            new XAttribute("time", F(r.Cases.Sum(c => c.Seconds) + r.Robustness.Sum(c => c.Seconds))),
            suites);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root + "\n";
    }

    private static string Headline(SeedRecord s) => s.Snapshot switch
    {
        SnapshotState.Gone => $"seed {s.Id}: the verified deviation is no longer found",
        SnapshotState.Mismatch => $"seed {s.Id}: the deviation differs from the verified snapshot ({s.OriginalClass} → {s.CompressedClass})",
        _ => $"seed {s.Id}: the compressed model deviates ({s.OriginalClass} → {s.CompressedClass})",
    };

    private static string Describe(SeedRecord s) => string.Create(CultureInfo.InvariantCulture,
        $"seed {s.Id}: {s.Status}; original says {s.OriginalClass ?? "?"}, compressed says {s.CompressedClass ?? "?"}; {s.Queries} queries; L∞ {s.LInf?.ToString(CultureInfo.InvariantCulture) ?? "–"}; snapshot {MarkdownSummary.SnapshotWord(s.Snapshot)}{(s.Image is null ? "" : $"; picture {s.Image}")}");

    private static XElement Prop(string name, string value) => new("property", new XAttribute("name", name), new XAttribute("value", value));

    private static string F(double seconds) => seconds.ToString("F3", CultureInfo.InvariantCulture);
}
