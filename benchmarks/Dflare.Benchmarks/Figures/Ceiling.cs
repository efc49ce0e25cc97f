using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dflare.Benchmarks.Harness;
using Dflare.Images;
using Dflare.Models;
using Microsoft.ML.OnnxRuntime;

namespace Dflare.Benchmarks.Figures;

/// <summary>Per-image time of one batch size: ONNX Runtime alone (a prepared input tensor) and through <see cref="OnnxClassifier.PredictScores(IReadOnlyList{Image})"/>.</summary>
internal sealed record BatchTiming(int Batch, int Callers, double OrtMicrosPerImage, double ApiMicrosPerImage);

/// <summary>The inference ceiling of one model.</summary>
internal sealed record ModelCeiling(string Model, string Shape, int? FixedBatch, IReadOnlyList<BatchTiming> Timings, int BestBatch, int BestCallers, double BestOrtMicrosPerImage, double BestApiMicrosPerImage, string Machine)
{
    /// <summary>Images per second at the ceiling (ONNX Runtime alone).</summary>
    public double ImagesPerSecond => 1e6 / BestOrtMicrosPerImage;
}

/// <summary>ONNX Runtime's best per-image inference time per model, over batch sizes and 1 or 2 concurrent callers.</summary>
internal static class Ceiling
{
    public const string Name = "ceiling";

    public static int Run(Args a)
    {
        var catalog = new Catalog();
        var models = a.List("models", "demo,demo-int8,mnist-8,cnn-pytorch,resnet8,resnet8-int8,squeezenet");
        int repeats = a.Int("repeats", 5);
        var outDir = a.Str("out", BenchPaths.Results);
        a.CheckAllUsed();
        var fresh = new List<ModelCeiling>();
        foreach (var key in models)
        {
            try
            {
                var path = ModelPath(catalog, key, out var options, out var dataset);
                var model = OnnxClassifier.Load(path, options);
                var images = catalog.Source(catalog.Datasets[dataset]).Load(0, 128).Select(s => model.Prepare(s.Image)).ToArray();
                var c = Measure(key, model, images, repeats);
                fresh.Add(c);
            }
            catch (MissingDataException e) { Console.Error.WriteLine($"skipped {key}: {e.Message}"); }
        }
        var all = Runs.Merge(Runs.ReadPrevious<ModelCeiling>(outDir, Name, "models"), fresh, m => m.Model);
        Output.Write(outDir, Name, new { figure = Name, models = all }, Markdown(all));
        return 0;
    }

    /// <summary>A model key of the catalogue, or <c>ORIGINAL@METHOD</c> (e.g. <c>resnet8@int8-static</c>, <c>cnn-pytorch@bits:4</c>) for a compressed variant.</summary>
    public static string ModelPath(Catalog catalog, string key, out ModelOptions? options, out string dataset)
    {
        var parts = key.Split('@', 2);
        var spec = catalog.Models[parts[0]];
        options = spec.Options; dataset = spec.Dataset;
        return parts.Length == 1 ? spec.Path() : catalog.Compress(spec, parts[1]);
    }

    public static ModelCeiling Measure(string key, OnnxClassifier model, IReadOnlyList<Image> images, int repeats)
    {
        var machine = MachineInfo.Now();
        var batches = model.Info.FixedBatch is { } fb ? [fb] : new[] { 1, 4, 16, 32, 64 }.Where(b => b <= model.Info.MaxBatch).ToArray();
        var timings = new List<BatchTiming>();
        foreach (var b in batches)
            foreach (var callers in Environment.ProcessorCount > 1 ? new[] { 1, Environment.ProcessorCount } : [1])
            {
                var batch = Enumerable.Range(0, b).Select(i => images[i % images.Count]).ToArray();
                var ort = Median(repeats, () => TimeCalls(callers, () => RunOrt(model, batch))) / b;
                var api = Median(repeats, () => TimeCalls(callers, () => model.PredictScores(batch))) / b;
                timings.Add(new BatchTiming(b, callers, Math.Round(ort, 2), Math.Round(api, 2)));
                Console.WriteLine($"   {key,-24} batch {b,3} × {callers} caller(s): ORT {ort,9:F1} µs/image, through the API {api,9:F1} µs/image");
            }
        var best = timings.MinBy(t => t.OrtMicrosPerImage)!;
        var bestApi = timings.Min(t => t.ApiMicrosPerImage);
        return new ModelCeiling(key, $"[{string.Join(",", model.Info.InputShape)}] {model.Info.Layout.ToString().ToUpperInvariant()}", model.Info.FixedBatch, timings, best.Batch, best.Callers,
            best.OrtMicrosPerImage, bestApi, machine.Line(MachineInfo.LoadAverageNow()));
    }

    private static double Median(int repeats, Func<double> f) => Stats.Median(Enumerable.Range(0, repeats).Select(_ => f()))!.Value;

    /// <summary>Microseconds per call when <paramref name="callers"/> threads call <paramref name="call"/> for ~150 ms in total (after a warm-up).</summary>
    private static double TimeCalls(int callers, Action call)
    {
        call();
        int n = 1;
        var sw = Stopwatch.StartNew();
        call();
        double one = Math.Max(sw.Elapsed.TotalMilliseconds, 0.01);
        n = Math.Clamp((int)(150 / one), 2, 5000);
        sw.Restart();
        Parallel.For(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, _ => { for (int i = 0; i < n; i++) call(); });
        return sw.Elapsed.TotalMicroseconds / (n * callers);
    }

    private static readonly RunOptions Options = new();

    /// <summary>One ONNX Runtime run on a batch already normalised into a tensor (what the ceiling measures).</summary>
    private static void RunOrt(OnnxClassifier model, Image[] batch)
    {
        var (data, shape) = Tensor(model, batch);
        using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var outputs = model.Session.Run(Options, [model.Info.InputName], [input], [model.Info.OutputName]);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Image[], Tuple<float[], long[]>> Tensors = [];

    private static (float[], long[]) Tensor(OnnxClassifier model, Image[] batch)
    {
        var t = Tensors.GetValue(batch, b =>
        {
            int len = model.Info.ImageLength;
            var data = new float[b.Length * len];
            for (int i = 0; i < b.Length; i++) model.Encoder.Normalize<byte>(b[i].Pixels, data.AsSpan(i * len, len));
            var shape = model.Info.InputShape.Select(d => (long)d).ToArray();
            shape[0] = b.Length;
            return Tuple.Create(data, shape);
        });
        return (t.Item1, t.Item2);
    }

    public static string Markdown(IReadOnlyList<ModelCeiling> all)
    {
        var sb = new StringBuilder("# Inference ceiling: ONNX Runtime's best per-image time per model\n\n");
        sb.AppendLine("Medians over repeats of ~150 ms of back-to-back runs. \"ORT\" = `InferenceSession.Run` on a prepared tensor; \"API\" = `OnnxClassifier.PredictScores` (normalisation, padding, output copies included). Callers = threads calling the same session at once (each run may itself use ONNX Runtime's intra-op threads).").AppendLine();
        sb.Append(Output.Table(["model", "input", "best batch × callers", "ORT µs/image", "ORT images/s", "API µs/image (best)"],
            all.Select(m => (IReadOnlyList<string>)
            [
                m.Model, m.Shape, $"{m.BestBatch} × {m.BestCallers}", Output.F(m.BestOrtMicrosPerImage, 1), Output.F(m.ImagesPerSecond, 0), Output.F(m.BestApiMicrosPerImage, 1),
            ]), "ll"));
        sb.AppendLine().AppendLine("All batch sizes (µs per image, ORT / API):").AppendLine();
        foreach (var m in all)
            sb.AppendLine($"- **{m.Model}**: " + string.Join("; ", m.Timings.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Batch}×{t.Callers}: {t.OrtMicrosPerImage:F1} / {t.ApiMicrosPerImage:F1}"))) + $". Measured {m.Machine}.");
        return sb.ToString();
    }
}
