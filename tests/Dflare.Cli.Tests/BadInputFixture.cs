using System.Buffers.Binary;
using System.Diagnostics;
using Dflare.Images;
using Dflare.Onnx;
using Dflare.Onnx.Proto;
using Google.Protobuf;

namespace Dflare.Cli.Tests;

/// <summary>
/// The bad inputs of the corpus, all made here: broken and foreign models (truncated, random bytes, a PNG, a text file,
/// NaN and infinite weights, an image output, one class, int64 or two inputs), broken data (truncated and fake PNGs,
/// IDX files with no images, a wrong magic or a short body, a CIFAR-10 file of the wrong length) and unwritable outputs.
/// The good models are the demo pair shipped beside the tool; nothing comes from outside the repository.
/// </summary>
public sealed class BadInputFixture : IDisposable
{
    public BadInputFixture()
    {
        Root = Directory.CreateTempSubdirectory("dflare-corpus-").FullName;
        string M(string name) => Path.Combine(Root, "models", name);
        string D(string name) => Path.Combine(Root, "data", name);
        Directory.CreateDirectory(Path.Combine(Root, "models"));
        Directory.CreateDirectory(Path.Combine(Root, "data"));
        var demo = Path.Combine(AppContext.BaseDirectory, "Demo");

        Demo = M("demo.onnx");
        Int8 = M("demo.int8.onnx");
        foreach (var (from, to) in new[] { ("fashion-lenet.onnx", Demo), ("fashion-lenet.int8.onnx", Int8) })
        {
            File.Copy(Path.Combine(demo, from), to);
            File.Copy(Path.Combine(demo, from + ".json"), to + ".json");
        }
        var bytes = File.ReadAllBytes(Demo);

        Nan = M("nan-weights.onnx");
        WithBias(float.NaN).Save(Nan);
        File.Copy(Demo + ".json", Nan + ".json"); // the output kind is given: no probe at load, the NaN shows at the first seed
        Inf = M("inf-weights.onnx");
        WithBias(float.PositiveInfinity).Save(Inf);
        ImageOut = M("image-output.onnx");
        Tiny("image-output", g => g.Node.Add(GraphEditor.Node("Identity", "id", ["x"], ["y"])), Value("y", "N", 1, 28, 28)).Save(ImageOut);
        OneClass = M("one-class.onnx");
        Linear(1).Save(OneClass);
        Twelve = M("twelve-classes.onnx");
        Linear(12).Save(Twelve);
        Int64Input = M("int64-input.onnx");
        Linear(10, int64Input: true).Save(Int64Input);
        TwoInputs = M("two-inputs.onnx");
        Linear(10, secondInput: true).Save(TwoInputs);
        Truncated = M("truncated.onnx");
        File.WriteAllBytes(Truncated, bytes[..(bytes.Length / 2)]);
        Garbage = M("random-bytes.onnx");
        var random = new byte[4096];
        new Random(15).NextBytes(random);
        File.WriteAllBytes(Garbage, random);
        var png = Grey(28, 28, 90).EncodePng();
        PngModel = M("a-picture.onnx");
        File.WriteAllBytes(PngModel, png);
        EmptyModel = M("empty.onnx");
        File.WriteAllBytes(EmptyModel, []);
        TextModel = M("readme.onnx");
        File.WriteAllText(TextModel, "This is not a model.\n");

        Seeds = D("seeds");
        Directory.CreateDirectory(Seeds);
        foreach (var f in Directory.GetFiles(Path.Combine(demo, "seeds"), "*.png").Order().Take(3))
            File.Copy(f, Path.Combine(Seeds, Path.GetFileName(f)));
        LabelOutOfRange = D("label-99");
        Directory.CreateDirectory(LabelOutOfRange);
        var two = Directory.GetFiles(Seeds, "*.png").Order().Take(2).Select(Path.GetFileName).ToArray();
        foreach (var name in two) File.Copy(Path.Combine(Seeds, name!), Path.Combine(LabelOutOfRange, name!));
        File.WriteAllText(Path.Combine(LabelOutOfRange, "labels.csv"), $"file,label\n{two[0]},3\n{two[1]},99\n");
        TruncatedPng = D("truncated-png");
        Directory.CreateDirectory(TruncatedPng);
        File.WriteAllBytes(Path.Combine(TruncatedPng, "cut.png"), png[..(png.Length * 2 / 3)]);
        FakePng = D("fake-png");
        Directory.CreateDirectory(FakePng);
        File.WriteAllText(Path.Combine(FakePng, "note.png"), "not a picture");
        EmptyFolder = D("empty-folder");
        Directory.CreateDirectory(EmptyFolder);
        ZeroIdx = D("zero-images-idx3-ubyte");
        File.WriteAllBytes(ZeroIdx, Idx(0, 28, 28, []));
        BadMagicIdx = D("bad-magic-idx3-ubyte");
        var bad = Idx(2, 28, 28, new byte[2 * 784]);
        bad[3] = 0x42;
        File.WriteAllBytes(BadMagicIdx, bad);
        ShortIdx = D("short-idx3-ubyte");
        File.WriteAllBytes(ShortIdx, Idx(5, 28, 28, new byte[784]));
        BadCifar = D("cut-cifar.bin");
        File.WriteAllBytes(BadCifar, new byte[3073 + 100]);
        EmptyFile = D("empty.bin");
        File.WriteAllBytes(EmptyFile, []);
        Missing = D("no-such-thing");

        AFile = Path.Combine(Root, "a-file.txt");
        File.WriteAllText(AFile, "an ordinary file\n");
        Immutable = MakeImmutable(Path.Combine(Root, "immutable"));
        // An immutable run folder (report cannot write its views) and snapshot folder (accept cannot rename), with their files.
        ImmutableRun = MakeImmutable(Path.Combine(Root, "immutable-run"), d => GateRun(d));
        ImmutableSnapshots = MakeImmutable(Path.Combine(Root, "immutable-snapshots"), d => Snapshot(d, "T.M.seed=1", received: true, verified: true));
    }

    /// <summary>The facts of a received or verified snapshot (<c>*.json</c>).</summary>
    public const string SnapshotFacts = """{ "seedId": "1", "originalLabel": 3, "originalProbability": 0.9, "compressedLabel": 5, "compressedProbability": 0.8 }""";

    /// <summary>
    /// Writes a finished gate run's report folder into <paramref name="dir"/>: results.json with one case (one
    /// deviating seed, <c>seed7</c>, with its picture in images/ and one clean seed); <paramref name="edit"/> changes the record first.
    /// </summary>
    public static string GateRun(string dir, Func<Reports.GateResults, Reports.GateResults>? edit = null, string shard = "1/1", string seed = "seed7", int index = 7)
    {
        var image = $"images/{seed}.png";
        var results = new Reports.GateResults
        {
            Project = "T", Shards = [shard],
            Cases = [new Reports.DeviationCaseRecord
            {
                Id = "T.C.M", TestClass = "T.C", TestMethod = "M", Original = "/m/a.onnx", Compressed = "/m/a.int8.onnx", SeedSource = "/m/seeds", Budget = 100, Passed = false,
                Seeds = [new Reports.SeedRecord { Id = seed, Index = index, Status = Search.SearchStatus.Triggered, Queries = 40, State = Check.SeedState.New, OriginalClass = "Coat", CompressedClass = "Shirt", Image = image },
                         new Reports.SeedRecord { Id = seed + "-clean", Index = index + 1, State = Check.SeedState.Clean, Status = Search.SearchStatus.NotFound, Queries = 100 }],
            }],
        };
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        Reports.GateResultsStore.Write(edit is null ? results : edit(results), dir);
        File.WriteAllBytes(Path.Combine(dir, image), Grey(28, 28, 40).EncodePng());
        return dir;
    }

    /// <summary>Writes a snapshot pair <paramref name="name"/> (e.g. <c>T.M.seed=1</c>) into <paramref name="dir"/>: received and/or verified, PNG and JSON.</summary>
    public static string Snapshot(string dir, string name, bool received = true, bool verified = false, bool png = true, bool json = true, string facts = SnapshotFacts)
    {
        Directory.CreateDirectory(dir);
        foreach (var kind in new[] { received ? "received" : null, verified ? "verified" : null }.OfType<string>())
        {
            if (png) File.WriteAllBytes(Path.Combine(dir, $"{name}.{kind}.png"), Grey(28, 28, (byte)(kind == "received" ? 120 : 60)).EncodePng());
            if (json) File.WriteAllText(Path.Combine(dir, $"{name}.{kind}.json"), facts);
        }
        return dir;
    }

    public string Root { get; }
    public string Demo { get; }
    public string Int8 { get; }
    public string Nan { get; }
    public string Inf { get; }
    public string ImageOut { get; }
    public string OneClass { get; }
    public string Twelve { get; }
    public string Int64Input { get; }
    public string TwoInputs { get; }
    public string Truncated { get; }
    public string Garbage { get; }
    public string PngModel { get; }
    public string EmptyModel { get; }
    public string TextModel { get; }
    public string Seeds { get; }
    /// <summary>Two seeds whose labels.csv gives the second the label 99 (the demo model has 10 classes).</summary>
    public string LabelOutOfRange { get; }
    public string TruncatedPng { get; }
    public string FakePng { get; }
    public string EmptyFolder { get; }
    public string ZeroIdx { get; }
    public string BadMagicIdx { get; }
    public string ShortIdx { get; }
    public string BadCifar { get; }
    public string EmptyFile { get; }
    public string Missing { get; }
    /// <summary>An ordinary file (an --out that is a file; a folder "under" it cannot exist).</summary>
    public string AFile { get; }
    /// <summary>An immutable folder (chattr +i; needs root), or null where that is not possible.</summary>
    public string? Immutable { get; }
    /// <summary>An immutable report folder of a finished gate run (<see cref="GateRun"/>), or null.</summary>
    public string? ImmutableRun { get; }
    /// <summary>An immutable snapshot folder holding a received and a verified pair, or null.</summary>
    public string? ImmutableSnapshots { get; }

    /// <summary>A fresh output path for one case (not created).</summary>
    public string Out(string name) => Path.Combine(Root, "out", name);

    /// <summary>Every file under the root (to check that a failing command wrote nothing).</summary>
    public IReadOnlyList<string> Files() =>
        Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Order().ToArray();

    public void Dispose()
    {
        foreach (var d in new[] { Immutable, ImmutableRun, ImmutableSnapshots }.OfType<string>()) Chattr("-i", d);
        Directory.Delete(Root, recursive: true);
    }

    private OnnxModel WithBias(float value)
    {
        var m = OnnxModel.Load(Demo);
        var t = m.Initializer("fc3.bias");
        int n = (int)t.Dims[0];
        t.FloatData.Clear();
        t.RawData = ByteString.CopyFrom(Enumerable.Repeat(value, n).SelectMany(BitConverter.GetBytes).ToArray());
        return m;
    }

    private static Image Grey(int w, int h, byte value)
    {
        var img = new Image(w, h, 1);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(value + i % 7);
        return img;
    }

    private static byte[] Idx(int count, int rows, int cols, byte[] body)
    {
        var b = new byte[16 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), cols);
        body.CopyTo(b, 16);
        return b;
    }

    private static ValueInfoProto Value(string name, params object[] dims) => Value(name, TensorProto.Types.DataType.Float, dims);

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    private static OnnxModel Tiny(string name, Action<GraphProto> body, ValueInfoProto output, bool int64Input = false, bool secondInput = false)
    {
        var proto = new ModelProto { IrVersion = 8, ProducerName = "dflare-tests", Graph = new GraphProto { Name = name } };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        proto.Graph.Input.Add(int64Input ? Value("x", TensorProto.Types.DataType.Int64, "N", 1, 28, 28) : Value("x", "N", 1, 28, 28));
        if (secondInput) proto.Graph.Input.Add(Value("z", "N", 1, 28, 28));
        body(proto.Graph);
        proto.Graph.Output.Add(output);
        return OnnxModel.FromProto(proto, name);
    }

    /// <summary>x [N,1,28,28] → flatten → MatMul by a fixed [784,K] matrix → y [N,K].</summary>
    private static OnnxModel Linear(int classes, bool int64Input = false, bool secondInput = false) =>
        Tiny($"linear-{classes}", g =>
        {
            var w = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float };
            w.Dims.Add(784); w.Dims.Add(classes);
            for (int i = 0; i < 784 * classes; i++) w.FloatData.Add((i % 13 - 6) / 100f);
            g.Initializer.Add(w);
            var x = "x";
            if (int64Input) { g.Node.Add(GraphEditor.Node("Cast", "cast", ["x"], ["xf"], GraphEditor.IntAttribute("to", 1))); x = "xf"; }
            if (secondInput) { g.Node.Add(GraphEditor.Node("Add", "add", ["x", "z"], ["xz"])); x = "xz"; }
            g.Node.Add(GraphEditor.Node("Flatten", "flatten", [x], ["f"], GraphEditor.IntAttribute("axis", 1)));
            g.Node.Add(GraphEditor.Node("MatMul", "matmul", ["f", "W"], ["y"]));
        }, Value("y", "N", classes), int64Input, secondInput);

    private static string? MakeImmutable(string dir, Action<string>? fill = null)
    {
        Directory.CreateDirectory(dir);
        fill?.Invoke(dir);
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/chattr")) return null;
        if (!Chattr("+i", dir)) return null;
        try { File.WriteAllText(Path.Combine(dir, "probe"), ""); File.Delete(Path.Combine(dir, "probe")); Chattr("-i", dir); return null; } // the file system ignores it
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return dir; }
    }

    private static bool Chattr(string flag, string path)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("/usr/bin/chattr", [flag, path]) { RedirectStandardError = true, UseShellExecute = false })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
