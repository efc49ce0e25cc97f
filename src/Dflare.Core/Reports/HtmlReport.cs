using System.Globalization;
using System.Net;
using System.Text;
using Dflare.Check;
using Dflare.Search;

namespace Dflare.Reports;

/// <summary>
/// The HTML report of a gate run: one self-contained page (inline CSS and SVG, no scripts, nothing from the network)
/// that links the pictures in <c>images/</c> relatively. Per pair: the numbers, a grid of triggering inputs (seed |
/// triggering input | difference, with both models' labels), a histogram of queries per triggering input and the
/// success of each mutation operator; per QUANOS check: accuracies and the per-layer ANS / bits chart.
/// </summary>
public static class HtmlReport
{
    private const string Css = """
        :root { --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --muted:#656d76; --line:#d0d7de; --bar:#3b6fb6; --bits:#d4762c; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
        header { background: #24292f; color: #fff; padding: 18px 28px; }
        header h1 { margin: 0 0 4px; font-size: 22px; }
        header .meta { color: #d0d7de; font-size: 13px; }
        main { padding: 8px 28px 40px; max-width: 1240px; }
        section.pair, section.check { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 18px 0; }
        h2 { font-size: 18px; margin: 0 0 8px; } h3 { font-size: 15px; margin: 18px 0 8px; }
        .verdict { display: inline-block; padding: 3px 10px; border-radius: 12px; font-weight: 600; margin-top: 6px; }
        .verdict.ok { background: #dafbe1; color: var(--ok); } .verdict.bad { background: #ffebe9; color: var(--bad); } .verdict.warn { background: #fff8c5; color: var(--warn); }
        table { border-collapse: collapse; background: #fff; margin: 10px 0; }
        th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 12px; }
        figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
        figure img { width: 100%; height: auto; image-rendering: pixelated; display: block; background: #eee; }
        figcaption { font-size: 12px; margin-top: 6px; }
        .badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 11px; font-weight: 600; }
        .badge.new, .badge.changed, .badge.gone { background: #ffebe9; color: var(--bad); }
        .badge.accepted { background: #dafbe1; color: var(--ok); } .badge.plain { background: #eaeef2; color: var(--muted); }
        .charts { display: flex; flex-wrap: wrap; gap: 24px; }
        svg.chart { font: 11px sans-serif; background: #fff; }
        svg.chart .bar { fill: var(--bar); } svg.chart .track { fill: #eef1f4; }
        svg.chart .grid { stroke: #eaeef2; } svg.chart .axis { stroke: #8c959f; }
        svg.chart .label { font-weight: 600; fill: #444; } svg.chart .muted { fill: var(--muted); }
        svg.chart .bits { fill: var(--bits); } svg.chart .bitsdot { fill: var(--bits); } svg.chart .bitsline { fill: none; stroke: var(--bits); stroke-width: 1.5; }
        .muted { color: var(--muted); } code { background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
        details { margin-top: 10px; } pre { white-space: pre-wrap; font-size: 12px; background: #f6f8fa; padding: 8px; border-radius: 6px; }
        """;

    /// <summary>Renders the page.</summary>
    /// <param name="r">The results.</param>
    /// <param name="reportDirectory">Where the page is written: model and seed paths are shown relative to it (null: as recorded).</param>
    public static string Render(GateResults r, string? reportDirectory = null)
    {
        var sb = new StringBuilder();
        var pairs = r.Pairs;
        var verdictText = MarkdownSummary.Verdict(r);
        string verdictClass = verdictText.StartsWith('✅') ? "ok" : verdictText.StartsWith('❌') ? "bad" : "warn";
        string verdict = verdictText.TrimStart('✅', '❌', '⚠', '\uFE0F', ' ');

        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append("<title>Dflare report").Append(string.IsNullOrEmpty(r.Project) ? "" : " – " + E(r.Project)).Append("</title><style>").Append(Css).Append("</style></head><body>\n");
        sb.Append("<header><h1>Dflare model-regression report</h1><div class=\"meta\">");
        var meta = new List<string>();
        if (!string.IsNullOrEmpty(r.Project)) meta.Add(E(r.Project));
        if (r.Shards.Count > 0) meta.Add("shard(s) " + E(string.Join(", ", r.Shards)));
        if (r.Finished != default) meta.Add(E(r.Finished.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)));
        if (!r.FailOnDeviation) meta.Add("report-only mode (DflareFailOnDeviation=false)");
        sb.Append(string.Join(" · ", meta)).Append("</div>");
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"verdict {verdictClass}\" id=\"verdict\">{E(verdict)}</div></header>\n<main>\n");

        if (pairs.Count > 0)
        {
            sb.Append("<table id=\"summary\"><tr><th>pair</th><th>verdict</th><th>seeds</th><th>deviation rate (95 % CI)</th><th>known</th><th>new</th><th>changed</th><th>fixed</th><th>error</th><th>accuracy orig / comp</th><th>disagree</th><th>queries</th><th>time</th></tr>");
            for (int i = 0; i < pairs.Count; i++)
            {
                var p = pairs[i];
                var c = p.Counts;
                var (lo, hi) = c.RateInterval;
                string acc = p.OriginalAccuracy is { } oa && p.CompressedAccuracy is { } ca ? $"{PairSummary.Pct(oa)} / {PairSummary.Pct(ca)}" : "–";
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"#pair-{i + 1}\">{E(p.Title)}</a></td><td>{(p.Passed ? "passed" : "failed")}</td><td class=\"num\">{c.Seeds}</td><td class=\"num\">{E(PairSummary.Pct(c.Rate))} ({E(PairSummary.Pct(lo))}–{E(PairSummary.Pct(hi))})</td><td class=\"num\">{c.Known}</td><td class=\"num\">{c.New}</td><td class=\"num\">{c.Changed}</td><td class=\"num\">{c.Fixed}</td><td class=\"num\">{p.Errors}</td><td class=\"num\">{E(acc)}</td><td class=\"num\">{p.Disagreements}</td><td class=\"num\">{p.Queries:N0}</td><td class=\"num\">{E(MarkdownSummary.Time(p.Seconds))}</td></tr>");
            }
            sb.Append("</table>\n");
        }
        if (pairs.Count == 0 && r.Robustness.Count == 0) sb.Append("<p class=\"muted\">No Dflare test ran.</p>");

        for (int i = 0; i < pairs.Count; i++) Pair(sb, pairs[i], i + 1, reportDirectory);
        for (int i = 0; i < r.Robustness.Count; i++) Check(sb, r.Robustness[i], i + 1);
        sb.Append("</main></body></html>\n");
        return sb.ToString();
    }

    private static void Pair(StringBuilder sb, PairSummary p, int n, string? reportDirectory)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<section class=\"pair\" id=\"pair-{n}\"><h2>{E(p.Title)} <span class=\"badge {(p.Passed ? "accepted" : "new")}\">{(p.Passed ? "passed" : "failed")}</span></h2>");
        var first = p.Cases[0];
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"muted\">original <code>{E(Rel(p.Original, reportDirectory))}</code><br>compressed <code>{E(Rel(p.Compressed, reportDirectory))}</code>");
        if (first.SeedSource is { } src) sb.Append(CultureInfo.InvariantCulture, $"<br>seeds <code>{E(Rel(src, reportDirectory))}</code>");
        sb.Append(CultureInfo.InvariantCulture, $"<br>a deviation counts when both margins ≥ {first.MinMargin.ToString("0.###", CultureInfo.InvariantCulture)}{(first.MaxLInf is { } l ? $", L∞ ≤ {l}" : "")}{(first.MinSsim is { } ms ? $", SSIM ≥ {ms.ToString("0.###", CultureInfo.InvariantCulture)}" : "")}; strategy {E(first.Strategy)}, budget {first.Budget:N0} queries per seed, run seed {first.RunSeed}</div>");
        sb.Append(CultureInfo.InvariantCulture, $"<p id=\"headline-{n}\">{E(p.Headline)}</p>");
        foreach (var c in p.Cases.Where(c => c.Error is not null).Take(20))
            sb.Append(CultureInfo.InvariantCulture, $"<p><span class=\"badge new\">error</span> {E(MarkdownSummary.ShortClass(c.TestClass))}.{E(c.TestMethod)}: {E(c.Error!)}</p>");
        foreach (var m in p.Cases.SelectMany(c => c.ChangedModels).Distinct()) sb.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{E(m)}</p>");

        var found = p.AllSeeds.Where(x => x.Seed.State != SeedState.Clean).OrderBy(x => CheckRule.IsProblem(x.Seed.State, x.Case.Policy) ? 0 : 1).ToList();
        sb.Append(CultureInfo.InvariantCulture, $"<h3>Findings ({found.Count})</h3>");
        if (found.Count == 0) sb.Append("<p class=\"muted\">No deviation found: every seed is clean.</p>");
        else
        {
            sb.Append("<div class=\"grid\">");
            foreach (var (c, s) in found)
            {
                var word = s.State.Word();
                var cls = s.State switch { SeedState.New or SeedState.Changed or SeedState.Error => "new", SeedState.Known => "accepted", _ => "plain" };
                sb.Append("<figure>");
                if (s.Image is not null)
                    sb.Append(CultureInfo.InvariantCulture, $"<a href=\"{Href(s.Image)}\"><img src=\"{Href(s.Image)}\" alt=\"seed {E(s.Id)}: seed, triggering input and difference\" loading=\"eager\"></a>");
                else sb.Append("<div class=\"muted\">(no picture)</div>");
                sb.Append(CultureInfo.InvariantCulture, $"<figcaption><b>seed {E(s.Id)}</b> <span class=\"badge {cls}\">{E(word)}</span><br>");
                sb.Append(CultureInfo.InvariantCulture, $"original: <b>{E(s.OriginalClass ?? "?")}</b> → compressed: <b>{E(s.CompressedClass ?? "?")}</b>{(s.TrueClass is { } t ? $" (true: {E(t)})" : "")}");
                if (s.AcceptedOriginalClass is { } ao && (ao != s.OriginalClass || s.AcceptedCompressedClass != s.CompressedClass)) sb.Append(CultureInfo.InvariantCulture, $"<br>accepted: {E(ao)} → {E(s.AcceptedCompressedClass ?? "?")}");
                sb.Append(CultureInfo.InvariantCulture, $"<br>margins {E(MarkdownSummary.Margins(s))} · {s.Queries:N0} queries · L∞ {(s.LInf?.ToString(CultureInfo.InvariantCulture) ?? "–")}{(s.Ssim is { } ss ? $" · SSIM {ss.ToString("F3", CultureInfo.InvariantCulture)}" : "")}{(s.Status == SearchStatus.AlreadyDeviating ? " · already deviates on the seed" : "")}");
                if (s.Note is { } note) sb.Append(CultureInfo.InvariantCulture, $"<br>{E(note)}");
                sb.Append(CultureInfo.InvariantCulture, $"<br><span class=\"muted\">{E(MarkdownSummary.ShortClass(c.TestClass))}.{E(c.TestMethod)}</span></figcaption></figure>");
            }
            sb.Append("</div>");
        }

        sb.Append("<div class=\"charts\"><div><h3>Queries per triggering input</h3>");
        var queries = p.AllSeeds.Where(x => x.Seed.Status == SearchStatus.Triggered).Select(x => (double)x.Seed.Queries).ToList();
        sb.Append(SvgCharts.Histogram(queries, "model queries (both models)", upper: 0, title: $"Queries per triggering input, {p.Title}"));
        sb.Append("</div><div><h3>Mutation operators: success</h3>");
        var ops = p.Operators.OrderByDescending(o => o.Selections == 0 ? 0 : (double)o.Successes / o.Selections).ThenBy(o => o.Operator, StringComparer.Ordinal)
            .Select(o => new SvgCharts.Bar(o.Operator, o.Selections == 0 ? 0 : (double)o.Successes / o.Selections,
                string.Create(CultureInfo.InvariantCulture, $"{o.Successes:N0} / {o.Selections:N0} ({(o.Selections == 0 ? 0 : (double)o.Successes / o.Selections):P0})"))).ToList();
        sb.Append(SvgCharts.HorizontalBars(ops, max: ops.Count == 0 ? 0 : Math.Max(ops.Max(o => o.Value), 0.01), title: $"Operator success, {p.Title}"));
        sb.Append("</div></div>");

        sb.Append("<details><summary>Every seed</summary><table><tr><th>test</th><th>seed</th><th>status</th><th>state</th><th>queries</th><th>original → compressed</th><th>operators</th></tr>");
        foreach (var (c, s) in p.AllSeeds)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(MarkdownSummary.ShortClass(c.TestClass))}.{E(c.TestMethod)}</td><td>{E(s.Id)}</td><td>{E(s.Status?.Word() ?? "–")}</td><td>{E(s.State.Word())}</td><td class=\"num\">{s.Queries:N0}</td><td>{(s.Deviates ? $"{E(s.OriginalClass ?? "?")} → {E(s.CompressedClass ?? "?")}" : "–")}</td><td>{E(string.Join(", ", s.Operators))}</td></tr>");
        sb.Append("</table>");
        foreach (var c in p.Cases.Where(c => !c.Passed && !string.IsNullOrEmpty(c.Message)).Take(20))
            sb.Append(CultureInfo.InvariantCulture, $"<pre>{E(c.Message!)}</pre>");
        sb.Append("</details></section>\n");
    }

    private static void Check(StringBuilder sb, RobustnessRecord c, int n)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<section class=\"check\" id=\"robustness-{n}\"><h2>QUANOS robustness: {E(Path.GetFileName(c.Model))} <span class=\"badge {(c.Passed ? "accepted" : "new")}\">{(c.Passed ? "passed" : "failed")}</span></h2>");
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"muted\">{E(MarkdownSummary.ShortClass(c.TestClass))}.{E(c.TestMethod)} · model <code>{E(c.Model)}</code>{(c.Original is { } o ? $" · original <code>{E(o)}</code>" : "")}</div>");
        sb.Append("<table><tr><th>seeds</th><th>ε</th><th>clean accuracy</th><th>adversarial accuracy</th>");
        if (c.OriginalAdversarialAccuracy is not null) sb.Append("<th>original's adversarial accuracy</th>");
        sb.Append("<th>median flip ε</th><th>queries</th><th>time</th></tr>");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"num\">{c.Seeds}</td><td class=\"num\">{c.Epsilon:G4}</td><td class=\"num\">{c.CleanAccuracy:P1}</td><td class=\"num\">{c.AdversarialAccuracy:P1}</td>");
        if (c.OriginalAdversarialAccuracy is { } oa) sb.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{oa:P1}</td>");
        sb.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{(c.MedianFlipEpsilon is { } m ? m.ToString("G4", CultureInfo.InvariantCulture) : "–")}</td><td class=\"num\">{c.Queries:N0}</td><td class=\"num\">{E(MarkdownSummary.Time(c.Seconds))}</td></tr></table>");
        if (c.Layers.Count > 0)
        {
            sb.Append("<h3>Per-layer adversarial noise sensitivity and bits</h3>");
            sb.Append(SvgCharts.LayerChart(c.Layers, $"Per-layer ANS and bits, {Path.GetFileName(c.Model)}"));
            sb.Append("<details><summary>Layers</summary><table><tr><th>layer</th><th>op</th><th>ANS</th><th>bits</th></tr>");
            foreach (var l in c.Layers)
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(l.Name)}</td><td>{E(l.Op)}</td><td class=\"num\">{l.Ans:G4}</td><td class=\"num\">{(l.Bits?.ToString(CultureInfo.InvariantCulture) ?? "–")}</td></tr>");
            sb.Append("</table></details>");
        }
        if (!c.Passed && !string.IsNullOrEmpty(c.Message)) sb.Append(CultureInfo.InvariantCulture, $"<pre>{E(c.Message)}</pre>");
        sb.Append("</section>\n");
    }

    private static string Rel(string path, string? reportDirectory)
    {
        if (reportDirectory is null || !Path.IsPathRooted(path)) return path.Replace('\\', '/');
        return Path.GetRelativePath(reportDirectory, path).Replace('\\', '/');
    }

    private static string Href(string relative) => ReportLinks.To(relative, baseUrl: null);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
