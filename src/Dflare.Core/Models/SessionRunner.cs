using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace Dflare.Models;

/// <summary>
/// Sends normalised images to one ONNX Runtime session in batches of <see cref="ModelInfo.MaxBatch"/> and reads the
/// outputs: the batching and output checks under <see cref="OnnxClassifier"/> (which counts the queries) and under the
/// probe runs of <see cref="ModelInfo.Resolve"/>. Thread-safe.
/// </summary>
internal sealed class SessionRunner(InferenceSession session, ModelInfo info)
{
    private static readonly RunOptions RunOptions = new(); // read-only settings, safe to share between runs
    private long _runs;

    /// <summary>ONNX Runtime runs so far (one per batch sent).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>
    /// Runs <paramref name="n"/> images (<paramref name="fill"/> writes image <c>i</c>'s normalised input) and returns
    /// their rows of the classifier output; <paramref name="checkRow"/> false only while the class count is being learnt.
    /// </summary>
    /// <exception cref="NonFiniteOutputException">A row holds NaN or ±∞.</exception>
    /// <exception cref="DflareException">A row does not have <see cref="ModelInfo.Classes"/> values.</exception>
    public float[][] Rows(int n, Action<int, Span<float>> fill, bool checkRow = true)
    {
        var result = new float[n][];
        RunBatches(n, fill, [info.OutputName], (outputs, start, real, batch) =>
        {
            var span = outputs[0].GetTensorDataAsSpan<float>();
            int row = span.Length / batch;
            if (checkRow && row != info.Classes)
                throw new DflareException($"Model '{info.Path}': output '{info.OutputName}' gave {row} values per image, expected {info.Classes}.");
            for (int i = 0; i < real; i++)
            {
                var values = span.Slice(i * row, row);
                for (int k = 0; k < values.Length; k++)
                    if (!float.IsFinite(values[k])) throw new NonFiniteOutputException(info.Path, info.OutputName, start + i, k, values[k]);
                result[start + i] = values.ToArray();
            }
        });
        return result;
    }

    /// <summary>Reads one batch's outputs: rows <c>0..real-1</c> of the <paramref name="batch"/> rows sent are images <c>start..start+real-1</c>.</summary>
    internal delegate void BatchReader(IReadOnlyList<OrtValue> outputs, int start, int real, int batch);

    /// <summary>
    /// Sends <paramref name="n"/> images to the session in batches of <see cref="ModelInfo.MaxBatch"/>: a model with a
    /// fixed batch gets every batch at that size, the short last one padded with zero rows (whose outputs the reader
    /// drops); a dynamic-batch model gets batches of the real size. <paramref name="fill"/> writes image <c>i</c>'s
    /// normalised input; <paramref name="read"/> gets each batch's outputs. Counts one run per batch, not queries.
    /// </summary>
    internal void RunBatches(int n, Action<int, Span<float>> fill, IReadOnlyCollection<string> outputNames, BatchReader read)
    {
        int len = info.ImageLength, maxBatch = info.MaxBatch;
        var inputShape = info.InputShape.Select(d => (long)d).ToArray();
        for (int start = 0; start < n; start += maxBatch)
        {
            int real = Math.Min(maxBatch, n - start);
            int batch = info.FixedBatch ?? real;
            // A pooled buffer: a batch of images is often large enough for the large-object heap, and allocating one
            // per run costs more than preprocessing.
            var data = ArrayPool<float>.Shared.Rent(batch * len);
            try
            {
                for (int i = 0; i < real; i++) fill(start + i, data.AsSpan(i * len, len));
                // Padding rows (fixed batch) are zero; their outputs are dropped.
                data.AsSpan(real * len, (batch - real) * len).Clear();
                inputShape[0] = batch;
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, batch * len), inputShape);
                using var outputs = session.Run(RunOptions, [info.InputName], [input], outputNames);
                read(outputs, start, real, batch);
            }
            finally { ArrayPool<float>.Shared.Return(data); }
            Interlocked.Increment(ref _runs);
        }
    }
}
