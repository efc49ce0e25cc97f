using Dflare.Datasets;
using Dflare.Models;

namespace Dflare.Evaluation;

/// <summary>The outcome of evaluating a model (and optionally a second one) on seeds.</summary>
public sealed record EvaluationResult
{
    /// <summary>Number of seeds evaluated.</summary>
    public required int Seeds { get; init; }
    /// <summary>Number of seeds that had a label.</summary>
    public required int Labelled { get; init; }
    /// <summary>Correct top-1 predictions of the model.</summary>
    public required int Correct { get; init; }
    /// <summary>Top-1 accuracy of the model on the labelled seeds (null when none has a label).</summary>
    public double? Accuracy => Labelled == 0 ? null : (double)Correct / Labelled;
    /// <summary>Correct top-1 predictions of the compared model (null without one).</summary>
    public int? CompareCorrect { get; init; }
    /// <summary>Top-1 accuracy of the compared model (null without one or without labels).</summary>
    public double? CompareAccuracy => CompareCorrect is { } c && Labelled > 0 ? (double)c / Labelled : null;
    /// <summary>Ids of the seeds on which the two models' top-1 labels differ (empty without a compared model).</summary>
    public required IReadOnlyList<string> Disagreements { get; init; }
    /// <summary>Top-1 label of the model for every seed, in order.</summary>
    public required IReadOnlyList<int> Predictions { get; init; }
    /// <summary>Top-1 label of the compared model for every seed (null without one).</summary>
    public IReadOnlyList<int>? ComparePredictions { get; init; }
    /// <summary>Ids of every seed, in order.</summary>
    public required IReadOnlyList<string> SeedIds { get; init; }
    /// <summary>Wall time in seconds.</summary>
    public double Seconds { get; init; }
}

/// <summary>Evaluates classifiers on seed sources, in batches.</summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates <paramref name="model"/> (and <paramref name="compare"/>, when given) on the seeds; reports accuracy on
    /// labelled seeds and the ids where the two disagree.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="seeds">The seeds (streamed in chunks).</param>
    /// <param name="compare">An optional second model, e.g. the compressed one.</param>
    /// <param name="chunk">Seeds per batch.</param>
    /// <param name="progress">Called with the number of seeds done so far.</param>
    public static EvaluationResult Evaluate(OnnxClassifier model, IEnumerable<Seed> seeds, OnnxClassifier? compare = null,
        int chunk = 256, Action<int>? progress = null)
    {
        if (compare is not null) ModelPair.EnsureMatch(model, compare);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ids = new List<string>();
        var preds = new List<int>();
        var cmpPreds = compare is null ? null : new List<int>();
        var disagreements = new List<string>();
        int labelled = 0, correct = 0, cmpCorrect = 0, done = 0;
        foreach (var batch in seeds.Chunk(chunk))
        {
            var images = batch.Select(s => model.Prepare(s)).ToArray();
            float[][] p; float[][]? q;
            try { (p, q) = (model.PredictScores(images), compare?.PredictScores(images)); }
            catch (NonFiniteOutputException e) { throw e.ForSeed(Array.FindIndex(images, im => ReferenceEquals(im, e.Image)) is var k and >= 0 ? batch[k].Id : null); }
            for (int i = 0; i < batch.Length; i++)
            {
                int a = Labels.ArgMax(p[i]);
                ids.Add(batch[i].Id);
                preds.Add(a);
                if (batch[i].Label is { } y) { labelled++; if (a == y) correct++; }
                if (q is not null)
                {
                    int b = Labels.ArgMax(q[i]);
                    cmpPreds!.Add(b);
                    if (batch[i].Label is { } y2 && b == y2) cmpCorrect++;
                    if (a != b) disagreements.Add(batch[i].Id);
                }
            }
            done += batch.Length;
            progress?.Invoke(done);
        }
        return new EvaluationResult
        {
            Seeds = ids.Count, Labelled = labelled, Correct = correct,
            CompareCorrect = compare is null ? null : cmpCorrect,
            Disagreements = disagreements, Predictions = preds, ComparePredictions = cmpPreds, SeedIds = ids,
            Seconds = sw.Elapsed.TotalSeconds,
        };
    }
}
