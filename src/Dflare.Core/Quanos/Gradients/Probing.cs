using Dflare.Models;

namespace Dflare.Quanos.Gradients;

/// <summary>Shared machinery of the query-based estimators: validation and batched evaluation of probe images.</summary>
internal static class Probing
{
    /// <summary>Images per model call below which the probes of several queries are sent together.</summary>
    internal const int ImagesPerCall = 2048;

    internal static void Validate(OnnxClassifier model, IReadOnlyList<GradientQuery> queries)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(queries);
        int len = model.Info.ImageLength;
        foreach (var q in queries)
        {
            ArgumentNullException.ThrowIfNull(q);
            if (q.Pixels.Length != len)
                throw new DflareException($"Image '{q.Id}' has {q.Pixels.Length} values but model '{model.Path}' takes {model.Info.Width}x{model.Info.Height}x{model.Info.Channels} = {len}.");
            foreach (var v in q.Pixels)
                if (!float.IsFinite(v)) throw new DflareException($"Image '{q.Id}' holds a non-finite pixel value.");
            if ((uint)q.Target >= (uint)model.Classes)
                throw new DflareException($"Target class {q.Target} of image '{q.Id}' is not a class of model '{model.Path}' (0..{model.Classes - 1}).");
        }
    }

    /// <summary>
    /// Evaluates <paramref name="probes"/> images per query (probe 0 is the query's own pixels; for the others
    /// <paramref name="probe"/>(query, index, pixels) changes a copy of them in place), grouping whole queries into calls
    /// of about <see cref="ImagesPerCall"/> images, and returns each query's losses and its raw output row at probe 0.
    /// </summary>
    internal static (double[][] Losses, float[][] Scores) Evaluate(OnnxClassifier model, IReadOnlyList<GradientQuery> queries,
        int probes, Action<int, int, Span<float>> probe)
    {
        var losses = new double[queries.Count][];
        var scores = new float[queries.Count][];
        var kind = model.Info.OutputKind;
        int start = 0;
        while (start < queries.Count)
        {
            int count = Math.Max(1, Math.Min(queries.Count - start, ImagesPerCall / probes));
            int s0 = start;
            var rows = model.PredictScores(count * probes, (i, x) =>
            {
                int q = s0 + i / probes, p = i % probes;
                queries[q].Pixels.CopyTo(x);
                if (p > 0) probe(q, p, x);
            });
            for (int k = 0; k < count; k++)
            {
                int q = s0 + k;
                var l = new double[probes];
                for (int p = 0; p < probes; p++) l[p] = AdversarialLoss.CrossEntropy(rows[k * probes + p], queries[q].Target, kind);
                losses[q] = l;
                scores[q] = rows[k * probes];
            }
            start += count;
        }
        return (losses, scores);
    }
}
