using BenchmarkDotNet.Attributes;
using Dflare.Images;
using Dflare.Models;
using Dflare.Search;
using Dflare.Search.DflareStrategy;
using Dflare.Search.DiffChaser;
using Dflare.Search.Mutation;
using Dflare.Search.Random;

namespace Dflare.Benchmarks.Micro;

/// <summary>Test images for the micro-benchmarks: a deterministic textured image of MNIST (28×28×1) or CIFAR (32×32×3) size.</summary>
internal static class MicroImages
{
    public static Image Make(string geometry)
    {
        var (w, h, c) = geometry == "28x28x1" ? (28, 28, 1) : (32, 32, 3);
        var img = new Image(w, h, c);
        var rng = new Rng(42);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)((i * 7 % 256 + rng.NextInt(0, 32)) & 0xFF);
        return img;
    }

    public static float[] Probabilities(Rng rng)
    {
        var l = new float[10];
        for (int i = 0; i < l.Length; i++) l[i] = (float)(rng.NextDouble() * 4);
        return OnnxClassifier.Softmax(l);
    }
}

/// <summary>Cost of one application of each built-in mutation operator (default parameters).</summary>
[MemoryDiagnoser]
public class OperatorBenchmarks
{
    private Image _image = null!;
    private IMutationOperator _op = null!;
    private Rng _rng = null!;

    /// <summary>The operator.</summary>
    [ParamsSource(nameof(Operators))]
    public string Operator { get; set; } = "";

    /// <summary>Image geometry: MNIST or CIFAR size.</summary>
    [Params("28x28x1", "32x32x3")]
    public string Geometry { get; set; } = "";

    /// <summary>The operator names.</summary>
    public static IEnumerable<string> Operators => MutationOperators.Names;

    /// <summary>Builds the image and the operator.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _image = MicroImages.Make(Geometry);
        _op = MutationOperators.Parse(Operator)[0];
        _rng = new Rng(1);
    }

    /// <summary>One mutant.</summary>
    [Benchmark]
    public Image Apply() => _op.Apply(_image, _rng);
}

/// <summary>Cost of DFlare's gap, DiffChaser's fitness, the deviation judge and SSIM (per evaluated mutant).</summary>
[MemoryDiagnoser]
public class FitnessBenchmarks
{
    private float[] _o = null!, _c = null!;
    private Image _a = null!, _b = null!;

    /// <summary>Builds two probability vectors and two 32×32×3 images.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(3);
        _o = MicroImages.Probabilities(rng); _c = MicroImages.Probabilities(rng);
        _a = MicroImages.Make("32x32x3"); _b = _a.Clone(); _b.Pixels[5] ^= 0x10;
    }

    /// <summary>DFlare: gap = P_orig(y) − P_comp(y).</summary>
    [Benchmark]
    public double Gap() => DflareSearch.Gap(_o, _c);

    /// <summary>DiffChaser's fitness.</summary>
    [Benchmark]
    public double DiffChaserFitness() => DiffChaserSearch.Fitness(_o, _c, 1.0);

    /// <summary>The deviation rule (ties, argmax).</summary>
    [Benchmark]
    public Verdict Judge() => Deviation.Judge(_o, _c);

    /// <summary>SSIM of a 32×32×3 image to its seed (used by the --min-ssim bound and for every trigger).</summary>
    [Benchmark]
    public double Ssim() => Distances.Ssim(_a, _b);
}

/// <summary>Cost of DFlare's novelty check: one probability pair against every pair seen so far for the seed.</summary>
[MemoryDiagnoser]
public class NoveltyBenchmarks
{
    private float[] _o = null!, _c = null!;
    private List<float[]> _seen = null!;

    /// <summary>Pairs already seen for the seed (grows by one per evaluated mutant, up to ~1,000 with a 2,000-query budget).</summary>
    [Params(10, 100, 1000)]
    public int Seen { get; set; }

    /// <summary>Builds a history of pairs far from the new one, so the scan runs to the end (the novel case).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(3);
        _o = MicroImages.Probabilities(rng); _c = MicroImages.Probabilities(rng);
        var pair = DflareSearch.Pair(_o, _c);
        _seen = Enumerable.Range(0, Seen).Select(_ => pair.Select(v => v + 1f + (float)rng.NextDouble()).ToArray()).ToList();
    }

    /// <summary>Pair + novelty scan (the worst case: no earlier pair within the threshold).</summary>
    [Benchmark]
    public bool Novelty() => DflareSearch.IsNovel(DflareSearch.Pair(_o, _c), _seen, 0.5);
}

/// <summary>Cost of preprocessing one image: 0..255 bytes to the model's normalised float tensor, and softmax.</summary>
[MemoryDiagnoser]
public class PreprocessingBenchmarks
{
    private OnnxClassifier _model = null!;
    private Image _image = null!;
    private float[] _buffer = null!;
    private float[] _logits = null!;

    /// <summary>Loads the demo model's classifier (28×28×1, NCHW, mean 0.5, std 0.5).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _model = OnnxClassifier.Load(Path.Combine(Harness.BenchPaths.Demo, "fashion-lenet.onnx"));
        _image = MicroImages.Make("28x28x1");
        _buffer = new float[_model.Info.ImageLength];
        _logits = [1.5f, -0.3f, 2.2f, 0.1f, 0.0f, -1.2f, 3.3f, 0.7f, -0.5f, 1.1f];
    }

    /// <summary>Normalise one 28×28×1 image into the NCHW float tensor ((x/255 − 0.5)/0.5).</summary>
    [Benchmark]
    public float Normalize()
    {
        _model.Encoder.Normalize<byte>(_image.Pixels, _buffer);
        return _buffer[0];
    }

    /// <summary>Softmax of 10 logits (computed in double).</summary>
    [Benchmark]
    public float[] Softmax() => OnnxClassifier.Softmax(_logits);

    /// <summary>Grey to RGB conversion of a 28×28 image (what <c>Prepare</c> does when channels differ).</summary>
    [Benchmark]
    public Image GreyToRgb() => _image.ToRgb();
}
