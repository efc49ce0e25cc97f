using System.Text.Json.Nodes;
using Dflare.Reports;

namespace Dflare.Cli.Tests;

/// <summary>The corpus cases of the gate's commands: <c>check</c>, <c>report</c>, <c>merge</c> and <c>accept</c>.</summary>
public sealed partial class BadInputCorpusTests
{
    private static string[] Check(BadInputFixture f, params string[] extra) =>
        ["check", "--original", f.Demo, "--compressed", f.Int8, "--seeds", f.Seeds, "--budget", "20", .. extra];
    private static string[] CheckPair(BadInputFixture f, string original, string compressed, params string[] extra) =>
        ["check", "--original", original, "--compressed", compressed, "--seeds", f.Seeds, "--budget", "20", .. extra];

    /// <summary>A run folder at <paramref name="dir"/> whose results.json is <paramref name="json"/> (its picture kept).</summary>
    private static void RunWithJson(string dir, Func<string, string> json)
    {
        BadInputFixture.GateRun(dir);
        var path = Path.Combine(dir, GateResultsStore.ResultsFile);
        File.WriteAllText(path, json(File.ReadAllText(path)));
    }

    /// <summary>Edits a run folder's results.json as a JSON tree.</summary>
    private static Func<string, string> Edit(Action<JsonObject> edit) => text =>
    {
        var root = JsonNode.Parse(text)!.AsObject();
        edit(root);
        return root.ToJsonString();
    };

    private static string In(string o, string name) => Path.Combine(o, name);

    private static IEnumerable<KeyValuePair<string, Case>> GateCases() => new Dictionary<string, Case>
    {
        // ---- check: the gate's deviation check outside a test run (same inputs as search, plus snapshots and a report)
        ["check: compressed missing"] = new("models", (f, o) => CheckPair(f, f.Demo, f.Missing), Bad, f => Words("no-such-thing", "does not exist")),
        ["check: truncated model"] = new("models", (f, o) => CheckPair(f, f.Truncated, f.Int8), Bad, f => Words("truncated.onnx")),
        ["check: NaN weights"] = new("models", (f, o) => CheckPair(f, f.Demo, f.Nan), Bad, f => Words("nan-weights.onnx", "NaN", "seed")),
        ["check: image output"] = new("models", (f, o) => CheckPair(f, f.ImageOut, f.Int8), Bad, f => Words("image-output.onnx", "not a class vector")),
        ["check: classes differ"] = new("models", (f, o) => CheckPair(f, f.Demo, f.Twelve), Bad, f => Words("twelve-classes.onnx", "has 12")),
        ["check: truncated PNG"] = new("data", (f, o) => ["check", "--original", f.Demo, "--compressed", f.Int8, "--seeds", f.TruncatedPng], Bad, f => Words("cut.png", "truncated")),
        ["check: IDX with 0 images"] = new("data", (f, o) => ["check", "--original", f.Demo, "--compressed", f.Int8, "--seeds", f.ZeroIdx], Bad, f => Words("zero-images-idx3-ubyte", "has 0 seeds")),
        ["check: IDX wrong magic"] = new("data", (f, o) => ["check", "--original", f.Demo, "--compressed", f.Int8, "--seeds", f.BadMagicIdx], Bad, f => Words("bad-magic-idx3-ubyte", "not an IDX image file")),
        ["check: label out of range"] = new("data", (f, o) => ["check", "--original", f.Demo, "--compressed", f.Int8, "--seeds", f.LabelOutOfRange], Bad, f => Words("label-99", "has label 99", "10 classes (0..9)")),
        ["check: offset past the end"] = new("data", (f, o) => Check(f, "--offset", "3"), Bad, f => Words("No seeds to check", "offset 3")),
        ["check: max-linf 300"] = new("options", (f, o) => Check(f, "--max-linf", "300"), Bad, f => Words("--max-linf", "255", "got 300")),
        ["check: min-margin 1.5"] = new("options", (f, o) => Check(f, "--min-margin", "1.5"), Bad, f => Words("--min-margin must be in [0, 1)")),
        ["check: shard 3/2"] = new("options", (f, o) => Check(f, "--shard", "3/2"), Bad, f => Words("--shard '3/2'")),
        ["check: unknown strategy"] = new("options", (f, o) => Check(f, "--strategy", "annealing"), Bad, f => Words("annealing")),
        ["check: unknown output kind"] = new("options", (f, o) => Check(f, "--output-kind", "scores"), Bad, f => Words("--output-kind 'scores' is not valid", "logits, probabilities")),
        ["check: --report is a file"] = new("outputs", (f, o) => Check(f, "--report", f.AFile), Bad, f => Words("--report", "a-file.txt", "is a file")),
        ["check: --snapshots is a file"] = new("outputs", (f, o) => Check(f, "--snapshots", f.AFile), Bad, f => Words("--snapshots", "a-file.txt", "is a file")),
        ["check: --report immutable"] = new("outputs", (f, o) => Check(f, "--report", f.Immutable ?? o), Bad, f => Words("--report", "immutable", "cannot be written")),

        // ---- report: rebuild the views of a run folder from its results.json
        ["report: folder missing"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("does not exist")),
        ["report: no results.json"] = new("gate results", (f, o) => ["report", f.EmptyFolder], Bad, f => Words("empty-folder", "has no results.json")),
        ["report: results.json not JSON"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "not valid gate results JSON"),
            (f, o) => RunWithJson(o, _ => "{ \"tool\": \"dflare gate\", \"cases\": [ {")),
        ["report: results.json empty"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "not valid gate results JSON"),
            (f, o) => RunWithJson(o, _ => "")),
        ["report: results of another tool"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "not the results.json of a Dflare test run", "dflare search"),
            (f, o) => RunWithJson(o, Edit(r => r["tool"] = "dflare search"))),
        ["report: a newer format version"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "format version 99"),
            (f, o) => RunWithJson(o, Edit(r => r["formatVersion"] = 99))),
        ["report: a case without a model"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "not valid gate results JSON", "missing required properties", "'original'"),
            (f, o) => RunWithJson(o, Edit(r => r["cases"]![0]!.AsObject().Remove("original")))),
        ["report: a case whose model is null"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "damaged", "no id, original or compressed model"),
            (f, o) => RunWithJson(o, Edit(r => r["cases"]![0]!["compressed"] = null))),
        ["report: a seed without an id"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "not valid gate results JSON", "missing required properties", "'id'"),
            (f, o) => RunWithJson(o, Edit(r => r["cases"]![0]!["seeds"]![0]!.AsObject().Remove("id")))),
        ["report: a seed state of the wrong type"] = new("gate results", (f, o) => ["report", o], Bad, f => Words("results.json", "not valid gate results JSON", "state"),
            (f, o) => RunWithJson(o, Edit(r => r["cases"]![0]!["seeds"]![0]!["state"] = 17.5))),
        ["report: relative image base URL"] = new("options", (f, o) => ["report", o, "--image-base-url", "ci/artifacts"], Bad, f => Words("--image-base-url 'ci/artifacts'", "not an absolute http(s) URL"),
            (f, o) => BadInputFixture.GateRun(o)),
        ["report: folder immutable"] = new("outputs", (f, o) => ["report", f.ImmutableRun ?? o], Bad, f => Words("immutable-run", "cannot be written")),

        // ---- merge: combine the run folders of several shards
        ["merge: input missing"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a"), In(o, "nope")], Bad, f => Words("nope", "does not exist"),
            (f, o) => BadInputFixture.GateRun(In(o, "a"))),
        ["merge: input without results.json"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a"), f.EmptyFolder], Bad, f => Words("empty-folder", "has no results.json"),
            (f, o) => BadInputFixture.GateRun(In(o, "a"))),
        ["merge: input results.json damaged"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a"), In(o, "b")], Bad, f => Words(Path.Combine("b", "results.json"), "not valid gate results JSON"),
            (f, o) => { BadInputFixture.GateRun(In(o, "a")); RunWithJson(In(o, "b"), t => t[..(t.Length / 2)]); }),
        ["merge: runs with other budgets"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a"), In(o, "b")], Bad, f => Words("Cannot merge", "different settings", "budget 100 vs 999"),
            (f, o) => { BadInputFixture.GateRun(In(o, "a")); BadInputFixture.GateRun(In(o, "b"), r => r with { Shards = ["2/2"], Cases = [r.Cases[0] with { Budget = 999 }] }, seed: "seed8", index: 9); }),
        ["merge: runs with other strategies"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a"), In(o, "b")], Bad, f => Words("Cannot merge", "strategy dflare vs square"),
            (f, o) => { BadInputFixture.GateRun(In(o, "a")); BadInputFixture.GateRun(In(o, "b"), r => r with { Cases = [r.Cases[0] with { Strategy = "square" }] }, seed: "seed8", index: 9); }),
        ["merge: report-only run with a failing run"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a"), In(o, "b")], Bad, f => Words("Cannot merge", "report-only"),
            (f, o) => { BadInputFixture.GateRun(In(o, "a")); BadInputFixture.GateRun(In(o, "b"), r => r with { FailOnDeviation = false }, seed: "seed8", index: 9); }),
        ["merge: a picture outside its run folder"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a")], Bad, f => Words("../../escape.png", "outside its images/ folder"),
            (f, o) => BadInputFixture.GateRun(In(o, "a"), r => r with { Cases = [r.Cases[0] with { Seeds = [r.Cases[0].Seeds[0] with { Image = "../../escape.png" }] }] })),
        ["merge: an absolute picture path"] = new("gate results", (f, o) => ["merge", In(o, "merged"), In(o, "a")], Bad, f => Words("/etc/passwd", "outside its images/ folder"),
            (f, o) => BadInputFixture.GateRun(In(o, "a"), r => r with { Cases = [r.Cases[0] with { Seeds = [r.Cases[0].Seeds[0] with { Image = "/etc/passwd" }] }] })),
        ["merge: OUT is a file"] = new("outputs", (f, o) => ["merge", f.AFile, In(o, "a")], Bad, f => Words("a-file.txt", "is an existing file"),
            (f, o) => BadInputFixture.GateRun(In(o, "a"))),
        ["merge: OUT below a file"] = new("outputs", (f, o) => ["merge", Path.Combine(f.AFile, "merged"), In(o, "a")], Bad, f => Words("a-file.txt", "is a file"),
            (f, o) => BadInputFixture.GateRun(In(o, "a"))),
        ["merge: OUT immutable"] = new("outputs", (f, o) => ["merge", f.Immutable ?? o, In(o, "a")], Bad, f => Words("immutable", "cannot be written"),
            (f, o) => BadInputFixture.GateRun(In(o, "a"))),

        // ---- accept: promote received snapshots, each pair as a unit
        ["accept: folder missing"] = new("snapshots", (f, o) => ["accept", o], Bad, f => Words("Snapshot folder", "does not exist")),
        ["accept: received PNG without its JSON"] = new("snapshots", (f, o) => ["accept", o], Bad, f => Words("T.M.seed=1.received.png has no T.M.seed=1.received.json", "not accepted"),
            (f, o) => { BadInputFixture.Snapshot(o, "T.M.seed=1", verified: true); File.Delete(In(o, "T.M.seed=1.received.json")); }),
        ["accept: received JSON without its PNG"] = new("snapshots", (f, o) => ["accept", o], Bad, f => Words("T.M.seed=1.received.json has no T.M.seed=1.received.png", "not accepted"),
            (f, o) => BadInputFixture.Snapshot(o, "T.M.seed=1", png: false)),
        ["accept: received JSON not valid"] = new("snapshots", (f, o) => ["accept", o], Bad, f => Words("T.M.seed=1.received.json", "not a valid deviation snapshot", "Not accepted"),
            (f, o) => BadInputFixture.Snapshot(o, "T.M.seed=1", verified: true, facts: "{ not json")),
        ["accept: received JSON without labels"] = new("snapshots", (f, o) => ["accept", o], Bad, f => Words("T.M.seed=1.received.json", "Not accepted"),
            (f, o) => BadInputFixture.Snapshot(o, "T.M.seed=1", facts: """{ "seedId": "1" }""")),
        ["accept: received JSON is an array"] = new("snapshots", (f, o) => ["accept", o], Bad, f => Words("T.M.seed=1.received.json", "Not accepted"),
            (f, o) => BadInputFixture.Snapshot(o, "T.M.seed=1", facts: "[1, 2]")),
        ["accept: immutable snapshot folder"] = new("snapshots", (f, o) => ["accept", f.ImmutableSnapshots ?? o], Bad, f => Words("T.M.seed=1.received.png/json could not be accepted", "verified snapshot is unchanged")),
    };
}
