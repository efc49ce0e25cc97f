using Dflare.Check;

namespace Dflare.Reports;

/// <summary>The files of a report directory, written from <see cref="GateResults"/>.</summary>
/// <param name="Results">The <c>results.json</c> (every case, every seed).</param>
/// <param name="Markdown">The <c>summary.md</c> for a pull-request comment.</param>
/// <param name="JUnit">The <c>junit.xml</c>.</param>
/// <param name="Html">The <c>report.html</c>.</param>
public sealed record GateReportFiles(string Results, string Markdown, string JUnit, string Html);

/// <summary>
/// Writes a gate's report directory: <c>results.json</c>, <c>summary.md</c>, <c>junit.xml</c> and <c>report.html</c>
/// (pictures live in <c>images/</c>, linked relatively), and merges the results of several shards into one report.
/// </summary>
public static class GateReport
{
    /// <summary>The Markdown summary's file name.</summary>
    public const string MarkdownFile = "summary.md";
    /// <summary>The JUnit file's name.</summary>
    public const string JUnitFile = "junit.xml";
    /// <summary>The HTML report's file name.</summary>
    public const string HtmlFile = "report.html";

    /// <summary>Writes every report file (atomically) into <paramref name="directory"/>.</summary>
    public static GateReportFiles WriteAll(GateResults results, string directory)
    {
        Directory.CreateDirectory(directory);
        var json = GateResultsStore.Write(results, directory);
        var files = WriteViews(results, directory);
        return files with { Results = json };
    }

    /// <summary>Writes the Markdown, JUnit and HTML views of <paramref name="results"/> (not <c>results.json</c>).</summary>
    public static GateReportFiles WriteViews(GateResults results, string directory)
    {
        Directory.CreateDirectory(directory);
        string md = Path.Combine(directory, MarkdownFile), junit = Path.Combine(directory, JUnitFile), html = Path.Combine(directory, HtmlFile);
        AtomicFile.WriteAllText(md, MarkdownSummary.Render(results));
        AtomicFile.WriteAllText(junit, JUnitReport.Render(results));
        AtomicFile.WriteAllText(html, HtmlReport.Render(results, Path.GetFullPath(directory)));
        return new GateReportFiles(Path.Combine(directory, GateResultsStore.ResultsFile), md, junit, html);
    }

    /// <summary>
    /// Merges the results of several runs (typically the shards <c>1/n</c> … <c>n/n</c> of one run) into
    /// <paramref name="outDirectory"/>: cases are combined (a per-pair case that several shards ran becomes one case
    /// with all their seeds), pictures are copied, and every report file is written.
    /// </summary>
    /// <param name="inputDirectories">The report directories to merge.</param>
    /// <param name="outDirectory">Where the merged report goes.</param>
    /// <param name="imageBaseUrl">Where the merged report will be published (see <see cref="GateResults.ImageBaseUrl"/>); null keeps the inputs' own.</param>
    /// <returns>The merged results and warnings (e.g. a seed that two inputs both searched).</returns>
    /// <exception cref="DflareException">An input is not a report directory.</exception>
    public static (GateResults Results, IReadOnlyList<string> Warnings) Merge(IReadOnlyList<string> inputDirectories, string outDirectory, string? imageBaseUrl = null)
    {
        if (inputDirectories.Count == 0) throw new DflareException("Nothing to merge: name at least one report directory.");
        var warnings = new List<string>();
        var inputs = inputDirectories.Select(d => (Dir: Path.GetFullPath(d), Results: GateResultsStore.Read(d))).ToList();
        var outDir = Path.GetFullPath(outDirectory);

        // Check everything before writing anything: the settings of every case agree, and every picture stays inside its run folder.
        if (inputs.Select(i => i.Results.FailOnDeviation).Distinct().Count() > 1)
            throw new DflareException($"Cannot merge: {Describe(inputs.Where(i => i.Results.FailOnDeviation).Select(i => i.Dir))} fail on deviations but {Describe(inputs.Where(i => !i.Results.FailOnDeviation).Select(i => i.Dir))} ran report-only (DflareFailOnDeviation=false).");
        var firstSeen = new Dictionary<string, (string Dir, DeviationCaseRecord Case)>(StringComparer.Ordinal);
        var pairSeen = new Dictionary<(string, string), (string Dir, DeviationCaseRecord Case)>();
        foreach (var (dir, results) in inputs)
            foreach (var c in results.Cases)
            {
                if (firstSeen.TryGetValue(c.Id, out var f) && SettingsDiffer(f.Case, c) is { } d1)
                    throw new DflareException($"Cannot merge {c.Id}: the runs in {f.Dir} and {dir} used different settings ({d1}). Merge only the shards of one run.");
                firstSeen.TryAdd(c.Id, (dir, c));
                if (pairSeen.TryGetValue((c.Original, c.Compressed), out var g) && g.Case.SeedSource == c.SeedSource && SettingsDiffer(g.Case, c) is { } d2)
                    throw new DflareException($"Cannot merge the pair {Path.GetFileName(c.Compressed)} vs {Path.GetFileName(c.Original)}: the runs in {g.Dir} and {dir} used different settings ({d2}). Merge only the shards of one run.");
                pairSeen.TryAdd((c.Original, c.Compressed), (dir, c));
                foreach (var s in c.Seeds)
                    if (s.Image is { } img) ImageSource(dir, img);
            }

        Directory.CreateDirectory(outDir);
        var cases = new Dictionary<string, DeviationCaseRecord>(StringComparer.Ordinal);
        var robustness = new Dictionary<string, RobustnessRecord>(StringComparer.Ordinal);
        foreach (var (dir, results) in inputs)
        {
            foreach (var c in results.Cases)
            {
                var copied = c with { Seeds = c.Seeds.Select(s => s with { Image = CopyImage(dir, outDir, s.Image, warnings) }).ToList() };
                if (!cases.TryGetValue(c.Id, out var existing)) { cases[c.Id] = copied; continue; }
                var known = existing.Seeds.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
                var added = new List<SeedRecord>();
                foreach (var s in copied.Seeds)
                {
                    if (known.Add(s.Id)) added.Add(s);
                    else warnings.Add($"{c.Id}: seed {s.Id} appears in more than one input (kept the first); do the shards overlap?");
                }
                var seeds = existing.Seeds.Concat(added).OrderBy(s => s.Index).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
                var error = string.Join("\n", new[] { existing.Error, copied.Error }.Where(m => !string.IsNullOrEmpty(m)).Distinct());
                var violated = CheckRule.Fails(StateCounts.Of(seeds.Select(s => s.State)), existing.Policy);
                cases[c.Id] = existing with
                {
                    Seeds = seeds,
                    Operators = existing.Operators.Concat(copied.Operators).GroupBy(o => o.Operator)
                        .Select(g => new OperatorRecord(g.Key, g.Sum(o => o.Selections), g.Sum(o => o.Successes))).ToList(),
                    Seconds = existing.Seconds + copied.Seconds,
                    Error = error.Length == 0 ? null : error,
                    // The one rule, over the merged seeds (a rate threshold needs every shard's seeds).
                    Passed = error.Length == 0 && (!violated || (!results.FailOnDeviation && seeds.All(s => s.State != SeedState.Error))),
                    ChangedModels = existing.ChangedModels.Concat(copied.ChangedModels).Distinct().ToList(),
                    Message = string.Join("\n\n", new[] { existing.Message, copied.Message }.Where(m => !string.IsNullOrEmpty(m)).Distinct()),
                    Shard = string.Join(",", new[] { existing.Shard, copied.Shard }.Where(s => !string.IsNullOrEmpty(s)).Distinct()),
                };
            }
            foreach (var r in results.Robustness)
                if (!robustness.TryAdd(r.Id, r)) warnings.Add($"{r.Id}: robustness check appears in more than one input (kept the first).");
        }

        var merged = new GateResults
        {
            Project = string.Join(", ", inputs.Select(i => i.Results.Project).Where(p => !string.IsNullOrEmpty(p)).Distinct()),
            Started = inputs.Min(i => i.Results.Started),
            Finished = inputs.Max(i => i.Results.Finished),
            Shards = inputs.SelectMany(i => i.Results.Shards).Distinct().Order(StringComparer.Ordinal).ToList(),
            FailOnDeviation = inputs.All(i => i.Results.FailOnDeviation),
            ImageBaseUrl = inputs.Select(i => i.Results.ImageBaseUrl).FirstOrDefault(u => !string.IsNullOrEmpty(u)),
            Cases = GateResultsStore.Sort(cases.Values),
            Robustness = robustness.Values.OrderBy(r => r.Id, StringComparer.Ordinal).ToList(),
        };
        if (imageBaseUrl is not null) merged = merged with { ImageBaseUrl = imageBaseUrl };
        WriteAll(merged, outDir);
        return (merged, warnings);
    }

    private static string Describe(IEnumerable<string> dirs) => string.Join(", ", dirs);

    /// <summary>The settings in which two records of one case (or pair) differ, in words; null when they agree.</summary>
    internal static string? SettingsDiffer(DeviationCaseRecord a, DeviationCaseRecord b)
    {
        var d = new List<string>();
        void Cmp<T>(string name, T x, T y) { if (!EqualityComparer<T>.Default.Equals(x, y)) d.Add($"{name} {x?.ToString() ?? "none"} vs {y?.ToString() ?? "none"}"); }
        Cmp("original", a.Original, b.Original);
        Cmp("compressed", a.Compressed, b.Compressed);
        Cmp("seeds", a.SeedSource, b.SeedSource);
        Cmp("strategy", a.Strategy, b.Strategy);
        Cmp("budget", a.Budget, b.Budget);
        Cmp("run seed", a.RunSeed, b.RunSeed);
        Cmp("min margin", a.MinMargin, b.MinMargin);
        Cmp("max L∞", a.MaxLInf, b.MaxLInf);
        Cmp("min SSIM", a.MinSsim, b.MinSsim);
        Cmp("max deviation rate", a.MaxDeviationRate, b.MaxDeviationRate);
        Cmp("allowed deviations", a.AllowedDeviations, b.AllowedDeviations);
        Cmp("fail on fixed", a.FailOnFixed, b.FailOnFixed);
        Cmp("original SHA-256", a.OriginalSha256, b.OriginalSha256);
        Cmp("compressed SHA-256", a.CompressedSha256, b.CompressedSha256);
        return d.Count == 0 ? null : string.Join("; ", d);
    }

    /// <summary>The file a picture link of a run folder names; refuses links that leave the run's <c>images/</c> folder.</summary>
    private static string ImageSource(string fromDir, string relative)
    {
        var images = Path.GetFullPath(Path.Combine(fromDir, GateResultsStore.ImagesFolder)) + Path.DirectorySeparatorChar;
        var src = Path.GetFullPath(Path.Combine(fromDir, relative));
        if (Path.IsPathRooted(relative) || !src.StartsWith(images, StringComparison.Ordinal))
            throw new DflareException($"{Path.Combine(fromDir, GateResultsStore.ResultsFile)} names the picture '{relative}', which is outside its {GateResultsStore.ImagesFolder}/ folder; refusing to merge it.");
        return src;
    }

    private static string? CopyImage(string fromDir, string toDir, string? relative, List<string> warnings)
    {
        if (relative is null) return null;
        var src = ImageSource(fromDir, relative);
        if (!File.Exists(src)) { warnings.Add($"picture {src} is missing"); return relative; }
        var dest = Path.Combine(toDir, relative);
        if (Path.GetFullPath(src) == Path.GetFullPath(dest)) return relative;
        if (File.Exists(dest) && !File.ReadAllBytes(dest).AsSpan().SequenceEqual(File.ReadAllBytes(src)))
        {
            // Same name, different picture (two unrelated runs): keep both.
            var alt = Path.Combine(Path.GetDirectoryName(relative) ?? "", $"{Path.GetFileNameWithoutExtension(relative)}-{GateResultsStore.FileKey(fromDir)[^10..]}{Path.GetExtension(relative)}").Replace('\\', '/');
            dest = Path.Combine(toDir, alt);
            relative = alt;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        AtomicFile.WriteAllBytes(dest, File.ReadAllBytes(src));
        return relative;
    }
}
