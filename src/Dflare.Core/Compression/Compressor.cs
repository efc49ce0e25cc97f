using Dflare.Models;
using Dflare.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Dflare.Compression;

/// <summary>The outcome of <see cref="Compressor.Compress(string, string, ICompressionMethod, CompressionContext?)"/>.</summary>
public sealed record CompressionResult
{
    /// <summary>The method, e.g. <c>bits:4</c>.</summary>
    public required string Method { get; init; }
    /// <summary>The input model file.</summary>
    public required string InputPath { get; init; }
    /// <summary>The written model file.</summary>
    public required string OutputPath { get; init; }
    /// <summary>Size of the input file in bytes.</summary>
    public required long BytesBefore { get; init; }
    /// <summary>Size of the written file in bytes.</summary>
    public required long BytesAfter { get; init; }
    /// <summary>Stable names of the weighted layers changed.</summary>
    public required IReadOnlyList<string> Layers { get; init; }
    /// <summary>Notes on what was done.</summary>
    public required IReadOnlyList<string> Notes { get; init; }
    /// <summary>The sidecar written beside the output (a copy of the input's <c>MODEL.onnx.json</c>), if any.</summary>
    public string? Sidecar { get; init; }
}

/// <summary>Runs a compression method on a model file and writes the result atomically after checking it.</summary>
public static class Compressor
{
    /// <summary>
    /// Compresses an in-memory model: returns a compressed copy (the input is not changed) that has been checked to load
    /// in ONNX Runtime, run, and keep the original's inputs and outputs.
    /// </summary>
    /// <exception cref="DflareException">The model or the context does not fit the method.</exception>
    public static (OnnxModel Model, CompressionOutcome Outcome) Compress(OnnxModel model, ICompressionMethod method, CompressionContext? context = null)
    {
        var copy = model.Clone();
        var outcome = method.Apply(copy, context ?? new CompressionContext());
        Verify(model, copy, method);
        return (copy, outcome);
    }

    /// <summary>
    /// Compresses <paramref name="inputPath"/> into <paramref name="outputPath"/>. The output is written atomically
    /// and only after the compressed model has been checked, so on any error it is left as it was (absent or old).
    /// A sidecar <c>IN.onnx.json</c> is copied to <c>OUT.onnx.json</c> so the compressed model is fed the same way.
    /// </summary>
    /// <exception cref="DflareException">The input is missing or unsupported, or the model or context does not fit the method.</exception>
    public static CompressionResult Compress(string inputPath, string outputPath, ICompressionMethod method, CompressionContext? context = null)
    {
        if (string.IsNullOrWhiteSpace(outputPath)) throw new DflareException("No output path given (such as OUT.onnx).");
        if (Directory.Exists(outputPath)) throw new DflareException($"Output '{outputPath}' is a folder; give a file path such as OUT.onnx.");
        var model = OnnxModel.Load(inputPath);
        var (compressed, outcome) = Compress(model, method, context);
        var bytes = compressed.ToBytes();
        try { AtomicFile.WriteAllBytes(outputPath, bytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DflareException($"Cannot write '{outputPath}': {e.Message}", e);
        }
        string? sidecar = null;
        var inSidecar = ModelOptions.SidecarPath(Path.GetFullPath(inputPath));
        var outSidecar = ModelOptions.SidecarPath(Path.GetFullPath(outputPath));
        if (File.Exists(inSidecar) && inSidecar != outSidecar)
        {
            AtomicFile.WriteAllBytes(outSidecar, File.ReadAllBytes(inSidecar));
            sidecar = outSidecar;
        }
        return new CompressionResult
        {
            Method = method.Name, InputPath = inputPath, OutputPath = outputPath,
            BytesBefore = new FileInfo(inputPath).Length, BytesAfter = bytes.Length,
            Layers = outcome.Layers, Notes = outcome.Notes, Sidecar = sidecar,
        };
    }

    /// <summary>Checks the compressed model loads and runs in ONNX Runtime and has the original's inputs and outputs.</summary>
    private static void Verify(OnnxModel original, OnnxModel compressed, ICompressionMethod method)
    {
        using var before = SessionCache.CreateSession(original.ToBytes(), original.Name, 1);
        InferenceSession after;
        try { after = SessionCache.CreateSession(compressed.ToBytes(), $"{original.Name} ({method.Name})", 1); }
        catch (DflareException e)
        {
            throw new InvalidOperationException($"{method.Name} produced a model ONNX Runtime rejects: {e.Message}", e);
        }
        using (after)
        {
            static string Sig(IReadOnlyDictionary<string, NodeMetadata> m) =>
                string.Join("; ", m.Select(kv => $"{kv.Key}:{kv.Value.ElementDataType}[{string.Join(",", kv.Value.Dimensions)}]"));
            if (Sig(before.InputMetadata) != Sig(after.InputMetadata) || Sig(before.OutputMetadata) != Sig(after.OutputMetadata))
                throw new InvalidOperationException($"{method.Name} changed the model's inputs or outputs: " +
                    $"{Sig(before.InputMetadata)} → {Sig(before.OutputMetadata)} became {Sig(after.InputMetadata)} → {Sig(after.OutputMetadata)}.");
            // One run on zeros (dynamic axes as 1) proves the kernels exist for every node.
            var inputs = new List<OrtValue>();
            try
            {
                foreach (var (name, meta) in after.InputMetadata)
                {
                    if (meta.ElementType != typeof(float)) return; // only float inputs are fed here
                    var shape = meta.Dimensions.Select(d => d > 0 ? (long)d : 1L).ToArray();
                    inputs.Add(OrtValue.CreateTensorValueFromMemory(new float[OnnxTensors.ElementCount(shape)], shape));
                }
                using var run = new RunOptions();
                using var outputs = after.Run(run, after.InputMetadata.Keys.ToList(), inputs, after.OutputNames);
            }
            finally { foreach (var v in inputs) v.Dispose(); }
        }
    }
}
