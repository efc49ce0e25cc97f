using System.Globalization;
using System.Text;
using Dflare.Check;

namespace Dflare.Reports;

/// <summary>
/// The Markdown summary of a gate run, short enough for a pull-request comment: the verdict, a table of pairs (seeds,
/// deviation rate, states, accuracy, queries, time), the findings to review with links to their pictures, and the QUANOS
/// checks.
/// </summary>
public static class MarkdownSummary
{
    /// <summary>Most deviations listed one by one (the rest are counted).</summary>
    public const int MaxListed = 30;

    /// <summary>Renders the summary.</summary>
    public static string Render(GateResults r)
    {
        var sb = new StringBuilder();
        var pairs = r.Pairs;
        sb.Append("## Dflare model-regression gate: ").Append(Verdict(r)).Append("\n\n");
        var scope = new List<string>();
        if (!string.IsNullOrEmpty(r.Project)) scope.Add($"`{r.Project}`");
        if (r.Shards.Count > 0) scope.Add($"shard(s) {string.Join(", ", r.Shards)}");
        if (scope.Count > 0) sb.Append(string.Join(" · ", scope)).Append("\n\n");

        if (pairs.Count > 0)
        {
            sb.Append("| pair | verdict | seeds | deviation rate (95 % CI) | known | new | changed | fixed | error | accuracy orig / comp | disagree | queries | time |\n");
            sb.Append("|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
            foreach (var p in pairs)
            {
                var c = p.Counts;
                var (lo, hi) = c.RateInterval;
                string acc = p.OriginalAccuracy is { } oa && p.CompressedAccuracy is { } ca ? $"{PairSummary.Pct(oa)} / {PairSummary.Pct(ca)}" : "–";
                sb.Append(CultureInfo.InvariantCulture, $"| `{Esc(Path.GetFileName(p.Compressed))}` vs `{Esc(Path.GetFileName(p.Original))}` | {(p.Passed ? "✅ passed" : "❌ failed")} | {c.Seeds} | {PairSummary.Pct(c.Rate)} ({PairSummary.Pct(lo)}–{PairSummary.Pct(hi)}) | {c.Known} | {c.New} | {c.Changed} | {c.Fixed} | {p.Errors} | {acc} | {p.Disagreements} | {p.Queries:N0} | {Time(p.Seconds)} |\n");
            }
            sb.Append('\n');
            foreach (var p in pairs) sb.Append("- ").Append(Esc(p.Headline)).Append('\n');
            sb.Append('\n');

            var errored = pairs.SelectMany(p => p.Cases.Where(c => c.Error is not null)).ToList();
            if (errored.Count > 0)
            {
                sb.Append("### Errors\n\n");
                foreach (var c in errored.Take(MaxListed))
                    sb.Append(CultureInfo.InvariantCulture, $"- **error** {Esc(ShortClass(c.TestClass))}.{Esc(c.TestMethod)}: {Esc(c.Error!)}\n");
                sb.Append('\n');
            }

            var listed = pairs.SelectMany(p => p.AllSeeds.Where(x => x.Seed.State is not (SeedState.Clean or SeedState.Known)).Select(x => (p, x.Case, x.Seed)))
                .OrderBy(x => CheckRule.IsProblem(x.Seed.State, x.Case.Policy) ? 0 : 1).ToList();
            if (listed.Count > 0)
            {
                sb.Append("### Findings to review\n\n");
                sb.Append("| pair | test | seed | state | original → compressed | margins | L∞ | picture |\n");
                sb.Append("|---|---|---|---|---|---|---:|---|\n");
                foreach (var (p, c, s) in listed.Take(MaxListed))
                    sb.Append(CultureInfo.InvariantCulture, $"| `{Esc(Path.GetFileName(p.Compressed))}` | {Esc(ShortClass(c.TestClass))}.{Esc(c.TestMethod)} | {Esc(s.Id)} | {StateWord(s.State)} | {Esc(Labels(s))} | {Margins(s)} | {s.LInf?.ToString(CultureInfo.InvariantCulture) ?? "–"} | {(s.Image is null ? "–" : $"[picture]({ReportLinks.To(s.Image, r.ImageBaseUrl)})")} |\n");
                if (listed.Count > MaxListed) sb.Append(CultureInfo.InvariantCulture, $"\n…and {listed.Count - MaxListed} more (see `{GateReport.HtmlFile}`).\n");
                sb.Append('\n');
                if (listed.Any(x => x.Seed.State.IsUnaccepted()))
                    sb.Append("Review the pictures (seed | triggering input | difference). To accept: `dflare accept` in the test project, or `dotnet test -p:DflareAcceptSnapshots=true` on a developer machine, then commit the `*.verified.*` files.\n\n");
            }
        }

        if (r.Robustness.Count > 0)
        {
            sb.Append("### Robustness (QUANOS)\n\n");
            sb.Append("| model | seeds | ε | clean acc. | adversarial acc. | median flip ε | result |\n");
            sb.Append("|---|---:|---:|---:|---:|---:|---|\n");
            foreach (var c in r.Robustness)
                sb.Append(CultureInfo.InvariantCulture, $"| `{Esc(Path.GetFileName(c.Model))}` | {c.Seeds} | {c.Epsilon:G4} | {c.CleanAccuracy:P1} | {c.AdversarialAccuracy:P1} | {(c.MedianFlipEpsilon is { } m ? m.ToString("G4", CultureInfo.InvariantCulture) : "–")} | {(c.Passed ? "✅" : c.CleanAccuracy is null ? "❌ error" : "❌")} |\n");
            sb.Append('\n');
            // A check that could not run (bad model, seeds or settings) has no figures: its message says why.
            foreach (var c in r.Robustness.Where(c => !c.Passed && c.CleanAccuracy is null && !string.IsNullOrEmpty(c.Message)).Take(MaxListed))
                sb.Append(CultureInfo.InvariantCulture, $"- **error** {Esc(ShortClass(c.TestClass))}.{Esc(c.TestMethod)}: {Esc(c.Message!)}\n");
            if (r.Robustness.Any(c => !c.Passed && c.CleanAccuracy is null)) sb.Append('\n');
        }
        if (pairs.Count == 0 && r.Robustness.Count == 0) sb.Append("No Dflare test ran.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Full report: `{GateReport.HtmlFile}` (pictures, query histograms, operator success) · results: `{GateResultsStore.ResultsFile}`\n");
        return sb.ToString();
    }

    /// <summary>The run's verdict in words: <c>✅ passed</c>, or <c>❌ failed: 2 new, 1 error</c> (report-only when deviations do not fail).</summary>
    public static string Verdict(GateResults r)
    {
        var pairs = r.Pairs;
        int failedCases = r.Cases.Count(c => !c.Passed), failedChecks = r.Robustness.Count(c => !c.Passed);
        var parts = new[]
        {
            pairs.Sum(p => p.New) is > 0 and var n ? $"{n} new" : null,
            pairs.Sum(p => p.Changed) is > 0 and var ch ? $"{ch} changed" : null,
            pairs.Sum(p => p.Errors) is > 0 and var e ? $"{e} error(s)" : null,
            failedChecks > 0 ? $"{failedChecks} robustness check(s) failed" : null,
        }.Where(x => x is not null).ToList();
        if (failedCases + failedChecks > 0) return $"❌ failed: {failedCases + failedChecks} failing test case(s)" + (parts.Count > 0 ? $" ({string.Join(", ", parts)})" : "");
        if (!r.FailOnDeviation && pairs.Any(p => p.New + p.Changed > 0)) return "⚠️ report-only (DflareFailOnDeviation=false): " + string.Join(", ", parts);
        return "✅ passed" + (pairs.Sum(p => p.New) > 0 ? $" ({pairs.Sum(p => p.New)} new deviation(s) within the allowance)" : "");
    }

    internal static string StateWord(SeedState s) => s.Word();

    internal static string Labels(SeedRecord s)
    {
        var now = s.OriginalClass is null ? "–" : $"{s.OriginalClass} → {s.CompressedClass}";
        return s.AcceptedOriginalClass is { } a && (a != s.OriginalClass || s.AcceptedCompressedClass != s.CompressedClass || s.State == SeedState.Fixed)
            ? $"{now} (accepted {a} → {s.AcceptedCompressedClass})" : now;
    }

    internal static string Margins(SeedRecord s) => s.OriginalMargin is { } a && s.CompressedMargin is { } b
        ? string.Create(CultureInfo.InvariantCulture, $"{a:F2} / {b:F2}") : "–";

    internal static string Time(double seconds) => seconds >= 90
        ? $"{Math.Floor(seconds / 60).ToString(CultureInfo.InvariantCulture)} min {(seconds % 60).ToString("F0", CultureInfo.InvariantCulture)} s"
        : $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s";

    internal static string ShortClass(string fullName) => fullName[(fullName.LastIndexOf('.') + 1)..];

    private static string Esc(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
