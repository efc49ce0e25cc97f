using System.Globalization;
using Dflare.Datasets;

namespace Dflare.Models;

/// <summary>Thresholds of <see cref="SanityCheck"/>.</summary>
public sealed record SanitySettings
{
    /// <summary>Seeds looked at (sampled across the classes; default 200).</summary>
    public int Seeds { get; init; } = 200;
    /// <summary>
    /// The original is suspect when its accuracy on labelled seeds is at most chance plus this share of the way from
    /// chance to 100 % (default 0.25: 32.5 % for 10 classes, 62.5 % for 2, 25.1 % for 1,000; see <see cref="AccuracyFloor"/>).
    /// </summary>
    public double MinShareAboveChance { get; init; } = 0.25;
    /// <summary>Near-uniform outputs: the mean top-1 probability is at most this multiple of 1/classes (default 1.5).</summary>
    public double UniformFactor { get; init; } = 1.5;
    /// <summary>A pair is suspect when it disagrees on more than this share of the unmodified seeds (default 0.2).</summary>
    public double MaxDisagreement { get; init; } = 0.2;
    /// <summary>Labelled seeds needed before accuracy is judged (default 20).</summary>
    public int MinLabelled { get; init; } = 20;

    /// <summary>
    /// The accuracy at or below which an original with <paramref name="classes"/> classes is suspect:
    /// chance + <see cref="MinShareAboveChance"/> × (1 − chance). (A multiple of chance would refuse every two-class
    /// model at twice chance, and let a ten-class model fed the wrong normalisation through at 25 %.)
    /// </summary>
    public double AccuracyFloor(int classes)
    {
        double chance = 1.0 / Math.Max(classes, 1);
        return chance + MinShareAboveChance * (1 - chance);
    }
}

/// <summary>What <see cref="SanityCheck"/> saw on the unmodified seeds, and the problems it found.</summary>
/// <param name="Seeds">Seeds evaluated.</param>
/// <param name="Labelled">Of those, seeds with a label.</param>
/// <param name="Classes">Classes of the model(s).</param>
/// <param name="OriginalAccuracy">The original's top-1 accuracy on the labelled seeds, when there are enough.</param>
/// <param name="MeanTopProbability">The original's mean top-1 probability.</param>
/// <param name="Disagreements">Seeds on which the two models' top-1 labels differ (0 for one model).</param>
/// <param name="Problems">One sentence per problem found; empty when the run looks sane.</param>
public sealed record SanityResult(int Seeds, int Labelled, int Classes, double? OriginalAccuracy, double MeanTopProbability,
    int Disagreements, IReadOnlyList<string> Problems)
{
    /// <summary>True when no problem was found.</summary>
    public bool Ok => Problems.Count == 0;

    /// <summary>Throws the problems as one error, telling how to override the check.</summary>
    /// <exception cref="SettingException">There are problems (the message may name the preprocessing settings).</exception>
    public void ThrowIfProblems(string overrideHint)
    {
        if (!Ok) throw new SettingException(string.Join(" ", Problems) + " " + overrideHint, "Scale", "Mean", "Std", "Layout", "Resize");
    }
}

/// <summary>
/// Checks, before a run spends its budget, that the models are fed the way they were trained and form a compression
/// pair: on up to 200 unmodified seeds (sampled across the classes) the original's accuracy must be clearly above
/// chance (<see cref="SanitySettings.AccuracyFloor"/>) and its outputs not near-uniform ("preprocessing is probably wrong"), and the two models must agree on most
/// seeds ("not a compression pair, or their preprocessing differs"). The evaluations are not counted as queries.
/// </summary>
public static class SanityCheck
{
    /// <summary>Checks one model, or a pair when <paramref name="compressed"/> is given, on seeds of <paramref name="source"/>.</summary>
    /// <exception cref="DflareException">A seed cannot be read or does not fit the model.</exception>
    public static SanityResult Run(OnnxClassifier original, OnnxClassifier? compressed, SeedSource source, SanitySettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(source);
        var s = settings ?? new SanitySettings();
        var seeds = source.Enumerate(source.SampleIndices(Math.Min(s.Seeds, Math.Max(source.Count, 1)), runSeed: 0)).ToList();
        return Run(original, compressed, seeds, s);
    }

    /// <summary>Checks one model, or a pair when <paramref name="compressed"/> is given, on <paramref name="seeds"/>.</summary>
    /// <exception cref="DflareException">A seed does not fit the model.</exception>
    public static SanityResult Run(OnnxClassifier original, OnnxClassifier? compressed, IReadOnlyList<Seed> seeds, SanitySettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(seeds);
        var s = settings ?? new SanitySettings();
        int k = original.Classes, labelled = 0, correct = 0, disagree = 0;
        double topSum = 0;
        foreach (var chunk in seeds.Chunk(64))
        {
            var images = chunk.Select(original.Prepare).ToArray();
            float[][] p; float[][]? q;
            try { (p, q) = (original.PredictUncounted(images), compressed?.PredictUncounted(images)); }
            catch (NonFiniteOutputException e) { throw e.ForSeed(Array.FindIndex(images, im => ReferenceEquals(im, e.Image)) is var at and >= 0 ? chunk[at].Id : null); }
            for (int i = 0; i < chunk.Length; i++)
            {
                int a = Labels.ArgMax(p[i]);
                topSum += p[i][a];
                if (chunk[i].Label is { } y) { labelled++; if (a == y) correct++; }
                if (q is not null && Labels.ArgMax(q[i]) != a) disagree++;
            }
        }
        var inv = CultureInfo.InvariantCulture;
        var problems = new List<string>();
        int n = seeds.Count;
        double? accuracy = labelled >= s.MinLabelled ? (double)correct / labelled : null;
        double meanTop = n == 0 ? 0 : topSum / n;
        string name = Path.GetFileName(original.Path);
        if (accuracy is { } acc && acc <= s.AccuracyFloor(k))
            problems.Add(string.Create(inv, $"The original '{name}' is right on only {correct} of {labelled} labelled seeds ({acc:P1}; chance is {1.0 / k:P1}, suspect at or below {s.AccuracyFloor(k):P1}): its preprocessing is probably wrong ({original.Info.DescribePreprocessing()}). Give the model a sidecar (MODEL.onnx.json) or the options Scale/Mean/Std/Layout/Resize as it was trained, or check the labels."));
        else if (n > 0 && meanTop <= s.UniformFactor / k)
            problems.Add(string.Create(inv, $"The original '{name}' gives near-uniform outputs on the seeds (mean top-1 probability {meanTop:F3} for {k} classes): its preprocessing is probably wrong ({original.Info.DescribePreprocessing()})."));
        if (compressed is not null && n > 0 && (double)disagree / n > s.MaxDisagreement)
            problems.Add(string.Create(inv, $"'{Path.GetFileName(compressed.Path)}' and '{name}' disagree on {disagree} of {n} unmodified seeds ({(double)disagree / n:P0}): these models are not a compression pair, or their preprocessing differs (original: {original.Info.DescribePreprocessing()}; compressed: {compressed.Info.DescribePreprocessing()})."));
        return new SanityResult(n, labelled, k, accuracy, meanTop, disagree, problems);
    }
}
