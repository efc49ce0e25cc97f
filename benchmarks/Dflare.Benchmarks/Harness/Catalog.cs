using Dflare.Compression;
using Dflare.Datasets;
using Dflare.Models;
using Dflare.Search;

namespace Dflare.Benchmarks.Harness;

/// <summary>
/// A dataset and how the harness splits it: evaluation seeds are the first agreeing seeds in [0, <see cref="EvalEnd"/>);
/// DiffChaser's tuning seeds are the first agreeing seeds from <see cref="TuneOffset"/>; int8-static calibrates on the
/// 200 images from <see cref="CalibrationOffset"/>. The three ranges do not overlap.
/// </summary>
internal sealed record DatasetSpec(string Key, string Description, Func<SeedSource> Open, int EvalEnd, int TuneOffset, int CalibrationOffset, Func<SeedSource>? OpenTuning = null);

/// <summary>A model file and how it is fed.</summary>
internal sealed record ModelSpec(string Key, Func<string> Path, ModelOptions? Options, string Dataset);

/// <summary>A pair: an original and either a given compressed file or a compression method applied by the harness.</summary>
internal sealed record PairSpec(string Name, string Original, string? Method, string? Compressed)
{
    public string Describe() => Method is null ? $"{Original} vs {Compressed}" : $"{Original} vs {Original} {Method} (made by dflare compress)";
}

/// <summary>A loaded pair with its dataset.</summary>
internal sealed record LoadedPair(PairSpec Spec, ModelPair Pair, DatasetSpec Dataset, string OriginalPath, string CompressedPath, ModelOptions? Options);

/// <summary>The models, datasets and pairs of the benchmark (see docs/benchmarks.md).</summary>
internal sealed class Catalog
{
    public static readonly ModelOptions Cifar = new() { Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225] };
    public static readonly ModelOptions MnistTorch = new() { Mean = [0.5], Std = [0.5] };

    /// <summary>The compression methods applied to every original.</summary>
    public static readonly string[] Methods = ["int8", "int8-static", "bits:4", "prune:0.5"];

    public IReadOnlyDictionary<string, DatasetSpec> Datasets { get; } = new Dictionary<string, DatasetSpec>
    {
        ["mnist"] = new("mnist", "MNIST test set (10,000)", () => SeedSource.Open(BenchPaths.RequireShared("data/mnist/t10k-images-idx3-ubyte.gz")),
            EvalEnd: 5000, TuneOffset: 5000, CalibrationOffset: 9800),
        ["cifar10"] = new("cifar10", "CIFAR-10 test images 0–931", () => SeedSource.Open(BenchPaths.RequireShared("data/cifar10/test_first932.bin")),
            EvalEnd: 500, TuneOffset: 500, CalibrationOffset: 732),
        ["fashion-demo"] = new("fashion-demo", "the demo's 100 Fashion-MNIST test images (0–99)", () => SeedSource.Open(Path.Combine(BenchPaths.Demo, "seeds")),
            EvalEnd: 100, TuneOffset: 100, CalibrationOffset: -1,
            OpenTuning: () => SeedSource.Open(BenchPaths.RequireFile("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "apt-get install -y dataset-fashion-mnist"))),
    };

    public IReadOnlyDictionary<string, ModelSpec> Models { get; } = new Dictionary<string, ModelSpec>
    {
        ["mnist-8"] = new("mnist-8", () => BenchPaths.RequireShared("models/mnist/mnist-8.onnx"), new ModelOptions(), "mnist"),
        ["cnn-pytorch"] = new("cnn-pytorch", () => BenchPaths.RequireShared("models/mnist/cnn-pytorch.onnx"), MnistTorch, "mnist"),
        ["resnet8"] = new("resnet8", () => BenchPaths.RequireShared("models/cifar10/resnet8.onnx"), Cifar, "cifar10"),
        ["resnet8-int8"] = new("resnet8-int8", () => BenchPaths.RequireShared("models/cifar10/resnet8-int8.onnx"), Cifar, "cifar10"),
        ["squeezenet"] = new("squeezenet", () => BenchPaths.RequireShared("models/cifar10/squeezenet-nhwc.onnx"), new ModelOptions(), "cifar10"),
        ["demo"] = new("demo", () => Path.Combine(BenchPaths.Demo, "fashion-lenet.onnx"), null, "fashion-demo"),
        ["demo-int8"] = new("demo-int8", () => Path.Combine(BenchPaths.Demo, "fashion-lenet.int8.onnx"), null, "fashion-demo"),
    };

    /// <summary>Every pair: the real resnet8 pair, the demo pair, and 4 originals × 4 methods made by the project's compressor.</summary>
    public IReadOnlyList<PairSpec> Pairs { get; } = BuildPairs();

    private static List<PairSpec> BuildPairs()
    {
        var list = new List<PairSpec> { new("resnet8-real", "resnet8", null, "resnet8-int8"), new("demo", "demo", null, "demo-int8") };
        foreach (var m in new[] { "cnn-pytorch", "mnist-8", "resnet8", "squeezenet" })
            foreach (var method in Methods)
                list.Add(new($"{m}-{method.Replace(":", "", StringComparison.Ordinal)}", m, method, null));
        return list;
    }

    /// <summary>Pairs by a comma list of names, or <c>all</c>.</summary>
    public IReadOnlyList<PairSpec> Select(IReadOnlyList<string> names)
    {
        if (names.Count == 1 && names[0] == "all") return Pairs;
        return names.Select(n => Pairs.FirstOrDefault(p => p.Name == n)
            ?? throw new ArgumentException($"unknown pair '{n}'; pairs: {string.Join(", ", Pairs.Select(p => p.Name))}")).ToArray();
    }

    private readonly Dictionary<string, SeedSource> _sources = [];

    /// <summary>The dataset's seed source (opened once).</summary>
    public SeedSource Source(DatasetSpec d) { lock (_sources) return _sources.TryGetValue(d.Key, out var s) ? s : _sources[d.Key] = d.Open(); }

    /// <summary>Loads a pair, compressing the original into the cache first when the pair is made by a method.</summary>
    public LoadedPair Load(PairSpec p, int? intraOpThreads = null)
    {
        var o = Models[p.Original];
        var dataset = Datasets[o.Dataset];
        string originalPath = o.Path();
        string compressedPath = p.Method is null ? Models[p.Compressed!].Path() : Compress(o, p.Method);
        var pair = ModelPair.Load(originalPath, compressedPath, intraOpThreads is null ? o.Options : (o.Options ?? new ModelOptions()) with { IntraOpThreads = intraOpThreads });
        return new LoadedPair(p, pair, dataset, originalPath, compressedPath, o.Options);
    }

    /// <summary>The compressed variant of a model in the cache (made once; int8-static calibrated on 200 images of the model's dataset).</summary>
    public string Compress(ModelSpec model, string method)
    {
        Directory.CreateDirectory(BenchPaths.Cache);
        var source = model.Path();
        var output = Path.Combine(BenchPaths.Cache, $"{model.Key}.{method.Replace(":", "-", StringComparison.Ordinal)}.onnx");
        if (File.Exists(output) && File.GetLastWriteTimeUtc(output) >= File.GetLastWriteTimeUtc(source)) return output;
        var context = new CompressionContext { ModelOptions = model.Options };
        if (method == "int8-static")
        {
            var d = Datasets[model.Dataset];
            var calibration = Source(d).Load(d.CalibrationOffset, 200);
            context = context with { Calibration = new ListSeedSource($"{d.Key}[{d.CalibrationOffset}..{d.CalibrationOffset + 199}]", calibration), CalibrationLimit = 200 };
        }
        Console.Error.WriteLine($"  compressing {model.Key} with {method} -> {output}");
        Compressor.Compress(source, output, CompressionMethod.Parse(method), context);
        return output;
    }

    /// <summary>
    /// The first <paramref name="count"/> seeds from <paramref name="offset"/> (below <paramref name="end"/>) on which both
    /// models give the same strict top-1 label (<see cref="Deviation.Judge"/> = Agree: ties do not count as agreeing).
    /// </summary>
    public SeedSelection Agreeing(LoadedPair p, int offset, int end, int count, SeedSource? source = null)
    {
        source ??= Source(p.Dataset);
        end = Math.Min(end, source.Count);
        var chosen = new List<Seed>();
        int scanned = 0, disagree = 0, ties = 0;
        const int chunk = 256;
        for (int start = offset; start < end && chosen.Count < count; start += chunk)
        {
            var seeds = source.Load(start, Math.Min(chunk, end - start));
            var (po, pc) = p.Pair.Predict(seeds.Select(s => s.Image).ToArray());
            for (int i = 0; i < seeds.Count && chosen.Count < count; i++)
            {
                scanned++;
                switch (Deviation.Judge(po[i], pc[i]))
                {
                    case Verdict.Agree: chosen.Add(seeds[i]); break;
                    case Verdict.Tie: ties++; break;
                    default: disagree++; break;
                }
            }
        }
        return new SeedSelection(chosen, offset, scanned, disagree, ties);
    }
}

/// <summary>The seeds chosen for a pair: the first agreeing ones from <see cref="Offset"/>, and what was skipped.</summary>
internal sealed record SeedSelection(IReadOnlyList<Seed> Seeds, int Offset, int Scanned, int Disagreeing, int Tied)
{
    public string Describe() => Seeds.Count == 0 ? "none" :
        $"{Seeds.Count} agreeing seeds among indices {Offset}–{Offset + Scanned - 1} ({Disagreeing} disagreeing and {Tied} tied skipped)";
}
