using System.Globalization;
using System.Text;

namespace Dflare.Reports;

/// <summary>
/// The Markdown summary of a gate run, short enough for a pull-request comment: the verdict, a table of pairs (seeds,
/// deviations, new vs accepted, queries, time), the unaccepted deviations with links to their pictures, and the QUANOS
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
        int newCount = pairs.Sum(p => p.New), gone = pairs.Sum(p => p.Gone);
        var failedChecks = r.Robustness.Count(c => !c.Passed);
        string verdict = (newCount, gone, failedChecks) switch
        {
            (0, 0, 0) => "✅ passed: no unaccepted deviation",
            _ => (r.FailOnDeviation ? "❌ failed: " : "⚠️ report-only (DflareFailOnDeviation=false): ") + string.Join(", ", new[]
            {
                newCount > 0 ? $"{newCount} new deviation(s)" : null,
                gone > 0 ? $"{gone} verified deviation(s) no longer found" : null,
                failedChecks > 0 ? $"{failedChecks} robustness check(s) failed" : null,
            }.Where(x => x is not null)),
        };
        sb.Append("## Dflare model-regression gate: ").Append(verdict).Append("\n\n");
        var scope = new List<string>();
        if (!string.IsNullOrEmpty(r.Project)) scope.Add($"`{r.Project}`");
        if (r.Shards.Count > 0) scope.Add($"shard(s) {string.Join(", ", r.Shards)}");
        if (scope.Count > 0) sb.Append(string.Join(" · ", scope)).Append("\n\n");

        if (pairs.Count > 0)
        {
            sb.Append("| pair | seeds | deviations | new | accepted | gone | queries | time |\n");
            sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var p in pairs)
                sb.Append(CultureInfo.InvariantCulture, $"| {(p.Passed ? "" : "❌ ")}`{Esc(Path.GetFileName(p.Compressed))}` vs `{Esc(Path.GetFileName(p.Original))}` | {p.SeedCount} | {p.Deviations} | {p.New} | {p.Accepted} | {p.Gone} | {p.Queries:N0} | {Time(p.Seconds)} |\n");
            sb.Append('\n');

            var listed = pairs.SelectMany(p => p.AllSeeds.Where(x => x.Seed.IsUnaccepted || x.Seed.Snapshot == SnapshotState.Gone).Select(x => (p, x.Case, x.Seed))).ToList();
            if (listed.Count > 0)
            {
                sb.Append("### Deviations to review\n\n");
                sb.Append("| pair | test | seed | original → compressed | queries | L∞ | snapshot | picture |\n");
                sb.Append("|---|---|---|---|---:|---:|---|---|\n");
                foreach (var (p, c, s) in listed.Take(MaxListed))
                    sb.Append(CultureInfo.InvariantCulture, $"| `{Esc(Path.GetFileName(p.Compressed))}` | {Esc(ShortClass(c.TestClass))}.{Esc(c.TestMethod)} | {Esc(s.Id)} | {Esc(s.OriginalClass ?? "?")} → {Esc(s.CompressedClass ?? "?")} | {s.Queries:N0} | {s.LInf?.ToString(CultureInfo.InvariantCulture) ?? "–"} | {SnapshotWord(s.Snapshot)} | {(s.Image is null ? "–" : $"[picture]({ReportLinks.To(s.Image, r.ImageBaseUrl)})")} |\n");
                if (listed.Count > MaxListed) sb.Append(CultureInfo.InvariantCulture, $"\n…and {listed.Count - MaxListed} more (see `{GateReport.HtmlFile}`).\n");
                sb.Append('\n');
                if (newCount > 0)
                    sb.Append("Review the pictures (seed | triggering input | difference). To accept: `dflare accept` in the test project, or `dotnet test -p:DflareAcceptSnapshots=true` on a developer machine, then commit the `*.verified.*` files.\n\n");
            }
        }

        if (r.Robustness.Count > 0)
        {
            sb.Append("### Robustness (QUANOS)\n\n");
            sb.Append("| model | seeds | ε | clean acc. | adversarial acc. | median flip ε | result |\n");
            sb.Append("|---|---:|---:|---:|---:|---:|---|\n");
            foreach (var c in r.Robustness)
                sb.Append(CultureInfo.InvariantCulture, $"| `{Esc(Path.GetFileName(c.Model))}` | {c.Seeds} | {c.Epsilon:G4} | {c.CleanAccuracy:P1} | {c.AdversarialAccuracy:P1} | {(c.MedianFlipEpsilon is { } m ? m.ToString("G4", CultureInfo.InvariantCulture) : "–")} | {(c.Passed ? "✅" : "❌")} |\n");
            sb.Append('\n');
        }
        if (pairs.Count == 0 && r.Robustness.Count == 0) sb.Append("No Dflare test ran.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Full report: `{GateReport.HtmlFile}` (pictures, query histograms, operator success) · results: `{GateResultsStore.ResultsFile}`\n");
        return sb.ToString();
    }

    internal static string SnapshotWord(SnapshotState s) => s switch
    {
        SnapshotState.New => "new",
        SnapshotState.Mismatch => "changed",
        SnapshotState.Gone => "gone",
        SnapshotState.Known => "accepted",
        SnapshotState.Accepted => "accepted now",
        _ => "–",
    };

    internal static string Time(double seconds) => seconds >= 90
        ? $"{Math.Floor(seconds / 60).ToString(CultureInfo.InvariantCulture)} min {(seconds % 60).ToString("F0", CultureInfo.InvariantCulture)} s"
        : $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s";

    internal static string ShortClass(string fullName) => fullName[(fullName.LastIndexOf('.') + 1)..];

    private static string Esc(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
