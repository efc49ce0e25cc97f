namespace Dflare.Cli.Tests;

/// <summary>
/// The bad-input corpus (docs/reliability.md): each case runs the tool in-process on an input made by
/// <see cref="BadInputFixture"/> and asserts the exit code, one <c>error:</c> message naming the file or option and the
/// problem, no stack trace, no help dump, and that no file was written.
/// </summary>
[Collection("Console")]
public sealed partial class BadInputCorpusTests(BadInputFixture f) : IClassFixture<BadInputFixture>
{
    /// <summary>One bad input: the command line, the exit code, and words the message must contain (case-insensitive).</summary>
    public sealed record Case(string Family, Func<BadInputFixture, string, string[]> Args, int Exit, Func<BadInputFixture, string[]> Expect,
        Action<BadInputFixture, string>? Setup = null);

    private const int Bad = 2;

    private static string[] Search(BadInputFixture f, string o, params string[] extra) =>
        ["search", "--original", f.Demo, "--compressed", f.Int8, "--seeds", f.Seeds, "--out", o,
         .. extra.Contains("--budget") ? [] : new[] { "--budget", "20" }, .. extra.Contains("--lock-step") ? [] : new[] { "--lock-step", "4" }, .. extra];
    private static string[] SearchPair(BadInputFixture f, string o, string original, string compressed, params string[] extra) =>
        ["search", "--original", original, "--compressed", compressed, "--seeds", f.Seeds, "--out", o, "--budget", "20", .. extra];
    private static string[] SearchSeeds(BadInputFixture f, string o, string seeds, params string[] extra) =>
        ["search", "--original", f.Demo, "--compressed", f.Int8, "--seeds", seeds, "--out", o, "--budget", "20", .. extra];
    private static string[] Eval(string model, string seeds, params string[] extra) => ["eval", model, "--seeds", seeds, .. extra];
    private static string[] Compress(string model, string o, params string[] extra) => ["compress", model, "--method", "int8", "--out", o, .. extra];
    private static string[] Quanos(BadInputFixture f, string model, params string[] extra) =>
        ["quanos", model, "--seeds", f.Seeds, "--limit", "1", "--gradient", "spsa", "--samples", "2", "--no-compare", .. extra];
    private static string[] Robust(BadInputFixture f, string model, params string[] extra) =>
        ["robustness", model, "--seeds", f.Seeds, "--limit", "1", .. extra.Contains("--epsilon") ? [] : new[] { "--epsilon", "0.05" },
         "--gradient", "spsa", "--samples", "2", .. extra];
    private static string[] Words(params string[] w) => w;

    private static void Journal(string dir, string text)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "journal.jsonl"), text);
    }

    public static readonly IReadOnlyDictionary<string, Case> Cases = new Dictionary<string, Case>
    {
        // ---- models: missing, corrupt, foreign, unusable
        ["search: original missing"] = new("models", (f, o) => SearchPair(f, o, f.Missing, f.Int8), Bad, f => Words("no-such-thing", "does not exist")),
        ["search: truncated model"] = new("models", (f, o) => SearchPair(f, o, f.Demo, f.Truncated), Bad, f => Words("truncated.onnx")),
        ["search: random bytes as model"] = new("models", (f, o) => SearchPair(f, o, f.Garbage, f.Int8), Bad, f => Words("random-bytes.onnx")),
        ["search: a PNG as model"] = new("models", (f, o) => SearchPair(f, o, f.PngModel, f.Int8), Bad, f => Words("a-picture.onnx")),
        ["search: empty model file"] = new("models", (f, o) => SearchPair(f, o, f.Demo, f.EmptyModel), Bad, f => Words("empty.onnx", "empty")),
        ["search: text file as model"] = new("models", (f, o) => SearchPair(f, o, f.TextModel, f.Int8), Bad, f => Words("readme.onnx")),
        ["search: NaN weights"] = new("models", (f, o) => SearchPair(f, o, f.Demo, f.Nan), Bad, f => Words("nan-weights.onnx", "NaN", "seed")),
        ["search: infinite weights"] = new("models", (f, o) => SearchPair(f, o, f.Inf, f.Int8), Bad, f => Words("inf-weights.onnx", "non-finite", "while loading")),
        ["search: image output"] = new("models", (f, o) => SearchPair(f, o, f.ImageOut, f.Int8), Bad, f => Words("image-output.onnx", "[N,1,28,28]", "not a class vector", "no class-vector output")),
        ["search: one class"] = new("models", (f, o) => SearchPair(f, o, f.OneClass, f.OneClass), Bad, f => Words("one-class.onnx", "at least 2 classes")),
        ["search: classes differ"] = new("models", (f, o) => SearchPair(f, o, f.Demo, f.Twelve), Bad, f => Words("twelve-classes.onnx", "has 12")),
        ["search: int64 input"] = new("models", (f, o) => SearchPair(f, o, f.Int64Input, f.Int64Input), Bad, f => Words("int64-input.onnx", "float32")),
        ["search: two inputs"] = new("models", (f, o) => SearchPair(f, o, f.TwoInputs, f.TwoInputs), Bad, f => Words("two-inputs.onnx", "2 inputs", "--input")),
        ["search: output option against the sidecar"] = new("models", (f, o) => Search(f, o, "--output", "probs"), Bad, f => Words("demo.onnx", "output = probs", "sidecar")),
        ["search: input option against the sidecar"] = new("models", (f, o) => Search(f, o, "--input", "image"), Bad, f => Words("demo.onnx", "input = image", "sidecar")),
        ["search: no such output"] = new("models", (f, o) => Search(f, o, "--compressed-output", "probs"), Bad, f => Words("int8.onnx", "no output 'probs'", "logits")),
        ["eval: NaN weights"] = new("models", (f, o) => Eval(f.Nan, f.Seeds), Bad, f => Words("nan-weights.onnx", "NaN", "seed")),
        ["eval: compare has NaN weights"] = new("models", (f, o) => Eval(f.Demo, f.Seeds, "--compare", f.Nan), Bad, f => Words("nan-weights.onnx", "seed")),
        ["eval: infinite weights"] = new("models", (f, o) => Eval(f.Inf, f.Seeds), Bad, f => Words("inf-weights.onnx", "Infinity", "mid-grey")),
        ["eval: image output"] = new("models", (f, o) => Eval(f.ImageOut, f.Seeds), Bad, f => Words("image-output.onnx", "not a class vector")),
        ["eval: truncated model"] = new("models", (f, o) => Eval(f.Truncated, f.Seeds), Bad, f => Words("truncated.onnx")),
        ["eval: compare classes differ"] = new("models", (f, o) => Eval(f.Demo, f.Seeds, "--compare", f.Twelve), Bad, f => Words("twelve-classes.onnx", "classes")),
        ["compress: missing model"] = new("models", (f, o) => Compress(f.Missing, o + ".onnx"), Bad, f => Words("no-such-thing", "does not exist")),
        ["compress: random bytes"] = new("models", (f, o) => Compress(f.Garbage, o + ".onnx"), Bad, f => Words("random-bytes.onnx")),
        ["compress: a PNG"] = new("models", (f, o) => Compress(f.PngModel, o + ".onnx"), Bad, f => Words("a-picture.onnx")),
        ["compress: empty model"] = new("models", (f, o) => Compress(f.EmptyModel, o + ".onnx"), Bad, f => Words("empty.onnx")),
        ["quanos: truncated model"] = new("models", (f, o) => Quanos(f, f.Truncated), Bad, f => Words("truncated.onnx")),
        ["quanos: NaN weights"] = new("models", (f, o) => Quanos(f, f.Nan), Bad, f => Words("nan-weights.onnx", "NaN")),
        ["quanos: image output"] = new("models", (f, o) => Quanos(f, f.ImageOut), Bad, f => Words("image-output.onnx", "not a class vector")),
        ["robustness: random bytes"] = new("models", (f, o) => Robust(f, f.Garbage), Bad, f => Words("random-bytes.onnx")),
        ["robustness: infinite weights"] = new("models", (f, o) => Robust(f, f.Inf), Bad, f => Words("inf-weights.onnx", "non-finite")),
        ["robustness: compare classes differ"] = new("models", (f, o) => Robust(f, f.Demo, "--compare", f.Twelve), Bad, f => Words("twelve-classes.onnx", "classes")),

        // ---- data: seeds that cannot be read
        ["search: seeds missing"] = new("data", (f, o) => SearchSeeds(f, o, f.Missing), Bad, f => Words("no-such-thing", "does not exist")),
        ["search: truncated PNG"] = new("data", (f, o) => SearchSeeds(f, o, f.TruncatedPng), Bad, f => Words("cut.png", "truncated")),
        ["search: text named .png"] = new("data", (f, o) => SearchSeeds(f, o, f.FakePng), Bad, f => Words("note.png", "not a readable")),
        ["search: empty folder"] = new("data", (f, o) => SearchSeeds(f, o, f.EmptyFolder), Bad, f => Words("empty-folder")),
        ["search: IDX with 0 images"] = new("data", (f, o) => SearchSeeds(f, o, f.ZeroIdx), Bad, f => Words("zero-images-idx3-ubyte", "No seeds")),
        ["search: IDX wrong magic"] = new("data", (f, o) => SearchSeeds(f, o, f.BadMagicIdx), Bad, f => Words("bad-magic-idx3-ubyte", "not an IDX image file", "bad magic")),
        ["search: IDX short body"] = new("data", (f, o) => SearchSeeds(f, o, f.ShortIdx), Bad, f => Words("short-idx3-ubyte", "truncated")),
        ["search: CIFAR wrong length"] = new("data", (f, o) => SearchSeeds(f, o, f.BadCifar), Bad, f => Words("cut-cifar.bin")),
        ["search: empty seed file"] = new("data", (f, o) => SearchSeeds(f, o, f.EmptyFile), Bad, f => Words("empty.bin", "empty")),
        ["search: offset past the end"] = new("data", (f, o) => Search(f, o, "--offset", "3"), Bad, f => Words("No seeds", "--offset")),
        ["eval: IDX with 0 images"] = new("data", (f, o) => Eval(f.Demo, f.ZeroIdx), Bad, f => Words("zero-images-idx3-ubyte", "No seeds")),
        ["eval: truncated PNG"] = new("data", (f, o) => Eval(f.Demo, f.TruncatedPng), Bad, f => Words("cut.png", "truncated")),
        ["eval: IDX wrong magic"] = new("data", (f, o) => Eval(f.Demo, f.BadMagicIdx), Bad, f => Words("bad-magic-idx3-ubyte", "not an IDX image file", "bad magic")),
        ["eval: CIFAR wrong length"] = new("data", (f, o) => Eval(f.Demo, f.BadCifar), Bad, f => Words("cut-cifar.bin")),
        ["search: label out of range"] = new("data", (f, o) => SearchSeeds(f, o, f.LabelOutOfRange), Bad, f => Words("label-99", "has label 99", "10 classes (0..9)")),
        ["eval: label out of range"] = new("data", (f, o) => Eval(f.Demo, f.LabelOutOfRange), Bad, f => Words("label-99", "has label 99", "demo.onnx", "10 classes (0..9)")),
        ["eval: labels file missing"] = new("data", (f, o) => Eval(f.Demo, f.Seeds, "--labels", f.Missing), Bad, f => Words("no-such-thing")),
        ["eval: offset past the end"] = new("data", (f, o) => Eval(f.Demo, f.Seeds, "--offset", "5"), Bad, f => Words("No seeds", "--offset")),
        ["compress: calibration is a fake PNG"] = new("data", (f, o) => ["compress", f.Demo, "--method", "int8-static", "--out", o + ".onnx", "--calibration", f.FakePng], Bad, f => Words("note.png")),
        ["compress: eval IDX with 0 images"] = new("data", (f, o) => Compress(f.Demo, o + ".onnx", "--eval", f.ZeroIdx), Bad, f => Words("--eval", "zero-images-idx3-ubyte", "No seeds")),
        ["compress: eval seeds missing"] = new("data", (f, o) => Compress(f.Demo, o + ".onnx", "--eval", f.Missing), Bad, f => Words("no-such-thing")),
        ["quanos: IDX with 0 images"] = new("data", (f, o) => ["quanos", f.Demo, "--seeds", f.ZeroIdx], Bad, f => Words("zero-images-idx3-ubyte", "No seeds")),
        ["robustness: truncated PNG"] = new("data", (f, o) => ["robustness", f.Demo, "--seeds", f.TruncatedPng, "--epsilon", "0.05"], Bad, f => Words("cut.png", "truncated")),

        // ---- options: values out of range or unparsable (no help dump)
        ["search: budget not a number"] = new("options", (f, o) => Search(f, o, "--budget", "lots"), Bad, f => Words("lots", "--budget")),
        ["search: budget 1"] = new("options", (f, o) => Search(f, o, "--budget", "1"), Bad, f => Words("--budget", "at least 2")),
        ["search: unknown strategy"] = new("options", (f, o) => Search(f, o, "--strategy", "genetic"), Bad, f => Words("genetic")),
        ["search: unknown operator"] = new("options", (f, o) => Search(f, o, "--operators", "rotate:angle=3"), Bad, f => Words("rotate")),
        ["search: min-ssim above 1"] = new("options", (f, o) => Search(f, o, "--min-ssim", "1.5"), Bad, f => Words("ssim")),
        ["search: min-margin 1"] = new("options", (f, o) => Search(f, o, "--min-margin", "1"), Bad, f => Words("--min-margin")),
        ["search: negative max-linf"] = new("options", (f, o) => Search(f, o, "--max-linf", "-3"), Bad, f => Words("linf")),
        ["search: threads 0"] = new("options", (f, o) => Search(f, o, "--threads", "0"), Bad, f => Words("--threads")),
        ["search: lock-step 0"] = new("options", (f, o) => Search(f, o, "--lock-step", "0"), Bad, f => Words("--lock-step", "at least 1")),
        ["search: negative time limit"] = new("options", (f, o) => Search(f, o, "--time-limit", "-1"), Bad, f => Words("--time-limit")),
        ["search: negative offset"] = new("options", (f, o) => Search(f, o, "--offset", "-1"), Bad, f => Words("--offset")),
        ["search: limit 0"] = new("options", (f, o) => Search(f, o, "--limit", "0"), Bad, f => Words("--limit")),
        ["search: unknown option"] = new("options", (f, o) => Search(f, o, "--budjet", "20"), Bad, f => Words("--budjet")),
        ["search: required option missing"] = new("options", (f, o) => ["search", "--original", f.Demo, "--seeds", f.Seeds], Bad, f => Words("--compressed", "required")),
        ["search: three means for grey input"] = new("options", (f, o) => Search(f, o, "--mean", "0.5,0.5,0.5"), Bad, f => Words("mean", "3 values")),
        ["search: std 0"] = new("options", (f, o) => Search(f, o, "--std", "0"), Bad, f => Words("std")),
        ["search: unknown layout"] = new("options", (f, o) => Search(f, o, "--layout", "chw"), Bad, f => Words("--layout 'chw' is not valid", "nchw, nhwc")),
        ["search: unknown output kind"] = new("options", (f, o) => Search(f, o, "--output-kind", "scores"), Bad, f => Words("--output-kind 'scores' is not valid", "logits, probabilities", "auto")),
        ["eval: compressed-only option without --compare"] = new("options", (f, o) => Eval(f.Demo, f.Seeds, "--compressed-output", "logits"), Bad, f => Words("--compressed-output", "--compare")),
        ["eval: limit not a number"] = new("options", (f, o) => Eval(f.Demo, f.Seeds, "--limit", "ten"), Bad, f => Words("ten", "--limit")),
        ["eval: negative offset"] = new("options", (f, o) => Eval(f.Demo, f.Seeds, "--offset", "-2"), Bad, f => Words("--offset")),
        ["compress: unknown method"] = new("options", (f, o) => ["compress", f.Demo, "--method", "int3", "--out", o + ".onnx"], Bad, f => Words("int3")),
        ["compress: bits-per-layer without bits"] = new("options", (f, o) => Compress(f.Demo, o + ".onnx", "--bits-per-layer", "fc1=4"), Bad, f => Words("--bits-per-layer")),
        ["compress: calibration without int8-static"] = new("options", (f, o) => Compress(f.Demo, o + ".onnx", "--calibration", f.Seeds), Bad, f => Words("--calibration")),
        ["compress: limit 0"] = new("options", (f, o) => ["compress", f.Demo, "--method", "int8-static", "--out", o + ".onnx", "--calibration", f.Seeds, "--limit", "0"], Bad, f => Words("--limit")),
        ["quanos: epsilon 0"] = new("options", (f, o) => Quanos(f, f.Demo, "--epsilon", "0"), Bad, f => Words("--epsilon")),
        ["quanos: epsilon not a number"] = new("options", (f, o) => Quanos(f, f.Demo, "--epsilon", "small"), Bad, f => Words("small", "--epsilon")),
        ["quanos: unknown variant"] = new("options", (f, o) => Quanos(f, f.Demo, "--variant", "best"), Bad, f => Words("--variant", "best")),
        ["quanos: k-init 40"] = new("options", (f, o) => Quanos(f, f.Demo, "--k-init", "40"), Bad, f => Words("k")),
        ["robustness: epsilon 300 grey levels"] = new("options", (f, o) => Robust(f, f.Demo, "--epsilon", "300"), Bad, f => Words("--epsilon", "got 1.176")),
        ["robustness: unknown loss"] = new("options", (f, o) => Robust(f, f.Demo, "--loss", "hinge"), Bad, f => Words("hinge")),
        ["robustness: cosine with fd"] = new("options", (f, o) => ["robustness", f.Demo, "--seeds", f.Seeds, "--epsilon", "0.05", "--cosine"], Bad, f => Words("--cosine")),
        ["robustness: epsilon missing"] = new("options", (f, o) => ["robustness", f.Demo, "--seeds", f.Seeds], Bad, f => Words("--epsilon", "required")),

        // ---- outputs: checked before any work
        ["search: --out is a file"] = new("outputs", (f, o) => Search(f, f.AFile), Bad, f => Words("--out", "a-file.txt", "existing file")),
        ["search: --out under a file"] = new("outputs", (f, o) => Search(f, Path.Combine(f.AFile, "run")), Bad, f => Words("--out", "a-file.txt", "is a file, not a folder")),
        ["search: --out immutable"] = new("outputs", (f, o) => Search(f, f.Immutable ?? o), Bad, f => Words("--out", "immutable", "cannot be written into", "permission denied")),
        ["search: journal of an unfinished run"] = new("outputs", (f, o) => Search(f, o), Bad, f => Words("journal", "--resume", "unfinished"),
            (f, o) => Journal(o, """{"journal":"dflare search journal","version":1,"run":{}}""" + "\n")),
        ["search: --resume with nothing to resume"] = new("outputs", (f, o) => Search(f, o, "--resume"), Bad, f => Words("--resume", "journal.jsonl")),
        ["search: --resume with other settings"] = new("outputs", (f, o) => Search(f, o, "--resume"), Bad, f => Words("--resume", "other settings", "budget")),
        ["search: --resume with a damaged journal"] = new("outputs", (f, o) => Search(f, o, "--resume"), Bad, f => Words("journal.jsonl", "damaged"),
            (f, o) => Journal(o, "{ this is not json\n")),
        ["compress: --out is a folder"] = new("outputs", (f, o) => Compress(f.Demo, f.EmptyFolder), Bad, f => Words("--out", "empty-folder", "folder")),
        ["compress: --out under a file"] = new("outputs", (f, o) => Compress(f.Demo, Path.Combine(f.AFile, "m.onnx")), Bad, f => Words("--out", "a-file.txt")),
        ["compress: --out is the input"] = new("outputs", (f, o) => Compress(f.Demo, f.Demo), Bad, f => Words("--out", "demo.onnx", "input")),
        ["compress: --out in an immutable folder"] = new("outputs", (f, o) => Compress(f.Demo, Path.Combine(f.Immutable ?? o, "m.onnx")), Bad, f => Words("--out", "immutable")),
        ["quanos: --out is a folder"] = new("outputs", (f, o) => Quanos(f, f.Demo, "--out", f.EmptyFolder), Bad, f => Words("--out", "folder")),
        ["quanos: --report is a file"] = new("outputs", (f, o) => Quanos(f, f.Demo, "--report", f.AFile), Bad, f => Words("--report", "a-file.txt", "existing file")),
        ["quanos: --report immutable"] = new("outputs", (f, o) => Quanos(f, f.Demo, "--report", f.Immutable ?? o), Bad, f => Words("--report", "immutable")),
        ["robustness: --report is a file"] = new("outputs", (f, o) => Robust(f, f.Demo, "--report", f.AFile), Bad, f => Words("--report", "a-file.txt", "existing file")),
        ["robustness: --report under a file"] = new("outputs", (f, o) => Robust(f, f.Demo, "--report", Path.Combine(f.AFile, "r")), Bad, f => Words("--report", "a-file.txt", "is a file, not a folder")),
    }.Concat(GateCases()).ToDictionary();

    static BadInputCorpusTests()
    {
        // The settings of an interrupted run made with another budget.
        var c = Cases["search: --resume with other settings"];
        ((Dictionary<string, Case>)Cases)["search: --resume with other settings"] = c with
        {
            Setup = (f, o) => Journal(o, """{"journal":"dflare search journal","version":1,"run":{"budget":999}}""" + "\n"),
        };
    }

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Bad_input_gives_one_clear_error_and_writes_nothing(string name)
    {
        var c = Cases[name];
        var args = c.Args(f, f.Out(Slug(name)));
        if (name.Contains("immutable", StringComparison.Ordinal))
            Assert.SkipWhen(f.Immutable is null || f.ImmutableRun is null || f.ImmutableSnapshots is null, "an immutable folder needs root and chattr on this file system");
        var output = f.Out(Slug(name));
        c.Setup?.Invoke(f, output);
        var before = f.Files();

        var r = InProcessCli.Run(args);

        r.ExitCode.Should().Be(c.Exit, r.ToString());
        // Error lines (a parse error may name several arguments); the only lines allowed before it are the notes a command prints once its inputs are checked
        // (the value an option was read as, each model's effective preprocessing), when the problem shows up later, and
        // accept's warning when the CI variable is set (as on a build server, where this suite runs too).
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Count(l => l.StartsWith("error: ", StringComparison.Ordinal)).Should().BeGreaterThanOrEqualTo(1, r.ToString());
        lines.TakeWhile(l => !l.StartsWith("error: ", StringComparison.Ordinal))
            .Should().OnlyContain(l => l.StartsWith("--epsilon ", StringComparison.Ordinal) || l.StartsWith("Preprocessing of ", StringComparison.Ordinal)
                || l.StartsWith("warning: CI is set;", StringComparison.Ordinal), r.ToString());
        foreach (var word in c.Expect(f))
            r.StdErr.Should().ContainEquivalentOf(word, r.ToString());
        foreach (var text in new[] { r.StdOut, r.StdErr })
        {
            text.Should().NotContain("   at ", "no stack trace");
            text.Should().NotContain("Exception", "no exception type names");
            text.Should().NotContain("Usage:", "no help dump after a value error");
            text.Should().NotContain("\0", "no NUL bytes");
            text.Should().NotContain(".dflare-write-check", "the write probe is not the user's business");
        }
        f.Files().Should().Equal(before, "a failed command writes nothing (no results, no temporary files)");
    }

    [Fact]
    public void The_corpus_has_at_least_60_cases_over_every_family()
    {
        Cases.Count.Should().BeGreaterThanOrEqualTo(60);
        Cases.Values.Select(c => c.Family).Distinct().Should().BeEquivalentTo(["models", "data", "options", "outputs", "gate results", "snapshots"]);
        foreach (var command in new[] { "eval", "search", "compress", "quanos", "robustness", "check", "report", "merge", "accept" })
            Cases.Keys.Count(k => k.StartsWith(command + ":", StringComparison.Ordinal)).Should().BeGreaterThanOrEqualTo(5, command);
    }

    private static string Slug(string name) => new(name.Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-').ToArray());
}

/// <summary>Results that cannot be written after the work are kept in a temporary folder; progress only on a terminal.</summary>
public sealed class OutputLocationTests
{
    [Fact]
    public void Redirected_output_gets_the_results_without_progress_lines()
    {
        // Long enough (a few seconds) for a progress renderer to print lines into redirected output, as it used to.
        var demo = Path.Combine(AppContext.BaseDirectory, "Demo");
        var dir = Directory.CreateTempSubdirectory("dflare-progress-").FullName;
        try
        {
            var r = CliRunner.Run("search", "--original", Path.Combine(demo, "fashion-lenet.onnx"), "--compressed", Path.Combine(demo, "fashion-lenet.int8.onnx"),
                "--seeds", Path.Combine(demo, "seeds"), "--limit", "30", "--budget", "1000", "--out", dir);
            r.ExitCode.Should().Be(0, r.ToString());
            r.StdOut.Should().Contain("triggered").And.Contain("results.json");
            (r.StdOut + r.StdErr).Should().NotMatchRegex(@"\d+/30 seeds,", "the progress bar is drawn only on a terminal");
            r.StdErr.Should().BeEmpty();
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_write_that_fails_after_the_work_keeps_the_results_and_says_where()
    {
        var dest = Path.Combine(Path.GetTempPath(), "dflare-dest-" + Guid.NewGuid().ToString("N"));
        var write = (string d) =>
        {
            if (d == dest) throw new IOException("No space left on device");
            File.WriteAllText(Path.Combine(d, "results.json"), "{}\n");
        };
        var act = () => Commands.OutputLocation.WriteOrKeep("search", dest, write);
        var e = act.Should().Throw<DflareException>().Which;
        e.Message.Should().Contain($"cannot write '{dest}'").And.Contain("No space left on device").And.Contain("The results are kept in '");
        var kept = e.Message.Split("kept in '")[1].Split('\'')[0];
        try
        {
            kept.Should().StartWith(Path.Combine(Path.GetTempPath(), "dflare-kept-search-"));
            File.ReadAllText(Path.Combine(kept, "results.json")).Should().Be("{}\n");
        }
        finally { Directory.Delete(kept, recursive: true); }
    }
}
