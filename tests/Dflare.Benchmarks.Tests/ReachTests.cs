using System.Text.Json;
using Dflare.Benchmarks.Figures;
using Dflare.Benchmarks.Harness;
using Dflare.Search.Square;

namespace Dflare.Benchmarks.Tests;

/// <summary>The ceiling check (<c>reach</c>): which seeds of a bounds results file count as missed, and a tiny run on the demo pair.</summary>
public sealed class ReachTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-reach-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static string Run(string strategy, string bound, params (string Id, string Status)[] seeds) =>
        $$"""{ "strategy": "{{strategy}}", "bound": "{{bound}}", "perSeed": [ {{string.Join(", ", seeds.Select(s => $$"""{ "id": "{{s.Id}}", "status": "{{s.Status}}", "queries": 10 }"""))}} ] }""";

    private static string File1(string pair, int seedCount, params string[] runs) =>
        $$"""{ "figure": "bounds", "pairs": [ { "pair": "{{pair}}", "seeds": "x", "seedCount": {{seedCount}}, "budget": 2000, "machine": "m", "runs": [ {{string.Join(", ", runs)}} ] } ] }""";

    [Fact]
    public void A_seed_is_missed_at_a_bound_when_some_run_searched_it_and_no_run_triggered_it()
    {
        var path = Write("bounds.json", File1("p", 4,
            Run("square/boundary", "L∞ ≤ 8", ("a", "not-found"), ("b", "triggered"), ("c", "not-found"), ("d", "already-deviating")),
            Run("diffchaser", "L∞ ≤ 8", ("a", "not-found"), ("b", "not-found"), ("c", "triggered"), ("d", "already-deviating")),
            Run("square/boundary", "L∞ ≤ 16", ("a", "triggered"), ("b", "not-found"), ("c", "not-found"), ("d", "already-deviating")),
            Run("dflare", "L∞ ≤ 16", ("a", "not-found"), ("b", "not-found"), ("c", "not-found"), ("d", "already-deviating")),
            Run("square/boundary", "L∞ ≤ 16, SSIM ≥ 0.9", ("a", "not-found")),
            Run("dflare", "none", ("a", "not-found"))));
        var pair = Reach.ReadBounds(path).Should().ContainSingle().Subject;

        var missed = Reach.Missed(pair);
        missed.Select(m => m.LInf).Should().Equal([8, 16], "unbounded and SSIM-bounded runs are left out");
        missed[0].SeedIds.Should().Equal(["a"], "b and c were each triggered by one strategy; d is already deviating, never searched");
        missed[0].Searched.Should().Be(3);
        missed[0].Strategies.Should().Equal("square/boundary", "diffchaser");
        missed[1].SeedIds.Should().Equal(["b", "c"]);

        var squareOnly = Reach.Missed(pair, ["square"]);
        squareOnly[0].SeedIds.Should().Equal(["a", "c"], "only the square runs count");
        Reach.Missed(pair, ["dflare"]).Single().SeedIds.Should().Equal(["a", "b", "c"], "L∞ ≤ 8 had no dflare run");
    }

    [Fact]
    public void Bounds_text_attempt_names_and_bad_input_files_are_read_strictly()
    {
        Reach.ParseLInf("L∞ ≤ 32").Should().Be(32);
        Reach.ParseLInf("L∞ ≤ 16, SSIM ≥ 0.9").Should().BeNull();
        Reach.ParseLInf("none").Should().BeNull();

        var attempts = ReachAttempt.Parse(["original", "compressed-from-seed"]);
        attempts.Should().Equal(new ReachAttempt("original", SquareToward.Original, false, 1), new ReachAttempt("compressed-from-seed", SquareToward.Compressed, true, 2));
        var bad = () => ReachAttempt.Parse(["both"]);
        bad.Should().Throw<ArgumentException>().WithMessage("*'both'*");

        var missing = () => Reach.ReadBounds(Path.Combine(_dir, "none.json"));
        missing.Should().Throw<ArgumentException>().WithMessage("*none.json*no such file*");
        var other = () => Reach.ReadBounds(Write("effectiveness.json", """{ "figure": "effectiveness", "pairs": [] }"""));
        other.Should().Throw<ArgumentException>().WithMessage("*effectiveness.json*not a bounds results file*");
        var broken = () => Reach.ReadBounds(Write("broken.json", "{ \"figure\": "));
        broken.Should().Throw<ArgumentException>().WithMessage("*broken.json*not readable*");
    }

    [Fact]
    public void A_tiny_long_attack_on_the_demo_attacks_only_the_missed_seeds_and_replays_exactly()
    {
        var input = Write("bounds.json", File1("demo", 3,
            Run("square/boundary", "L∞ ≤ 8", ("fmnist-test-00000", "not-found"), ("fmnist-test-00001", "triggered"), ("fmnist-test-00002", "not-found")),
            Run("square/boundary", "L∞ ≤ 32", ("fmnist-test-00000", "triggered"), ("fmnist-test-00001", "triggered"), ("fmnist-test-00002", "triggered"))));
        string[] Once(string name)
        {
            var outDir = Path.Combine(_dir, name);
            Reach.Run(new Args(["--from", input, "--budget", "300", "--attempts", "original,compressed", "--out", outDir])).Should().Be(0);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "reach.json")));
            var bounds = doc.RootElement.GetProperty("pairs")[0].GetProperty("bounds");
            bounds.GetArrayLength().Should().Be(2);
            bounds[1].GetProperty("missed").GetInt32().Should().Be(0);
            var b = bounds[0];
            b.GetProperty("missed").GetInt32().Should().Be(2);
            var per = b.GetProperty("perSeed").EnumerateArray().ToArray();
            per.Select(s => s.GetProperty("id").GetString()).Should().Equal("fmnist-test-00000", "fmnist-test-00002");
            foreach (var s in per)
            {
                long q = s.GetProperty("queries").GetInt64();
                if (s.GetProperty("status").GetString() == "triggered")
                {
                    s.GetProperty("lInf").GetInt32().Should().BeInRange(1, 8);
                    q.Should().BeInRange(s.GetProperty("attemptQueries").GetInt64(), 600);
                }
                else q.Should().BeInRange(2 * 300 - 2, 600, "a seed no attempt triggers spends both attempts' budgets");
            }
            File.ReadAllText(Path.Combine(outDir, "reach.md")).Should().Contain("| demo | L∞ ≤ 8 | 2/3 |");
            return per.Select(s => s.GetRawText()).ToArray();
        }
        Once("a").Should().Equal(Once("b"), "every attempt is seeded: the same file and settings give the same outcome");
    }
}
