using System.Buffers.Binary;
using Dflare.Benchmarks.Figures;

namespace Dflare.Benchmarks.Tests;

/// <summary>The success-versus-queries chart: reading results files and drawing the PNG.</summary>
public sealed class CurvesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-curves-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private const string Results = """
        { "run": { "strategy": "dflare", "budget": 400 },
          "seeds": [
            { "id": "a", "status": "triggered", "queries": 10 },
            { "id": "b", "status": "triggered", "queries": 40 },
            { "id": "c", "status": "not-found", "queries": 400 },
            { "id": "d", "status": "already-deviating", "queries": 2 },
            { "id": "e", "status": "triggered", "queries": 40 } ] }
        """;

    [Fact]
    public void A_results_file_gives_the_share_of_searched_seeds_triggered_within_n_queries()
    {
        var c = Curves.Read(Write("results.json", Results), []).Should().ContainSingle().Subject;
        c.Label.Should().Be("dflare");
        c.Budget.Should().Be(400);
        c.Searched.Should().Be(4, "an already-deviating seed is not searched");
        c.ShareBy(9).Should().Be(0);
        c.ShareBy(10).Should().Be(0.25);
        c.ShareBy(39).Should().Be(0.25);
        c.ShareBy(40).Should().Be(0.75);
        c.ShareBy(400).Should().Be(0.75, "the seed that found nothing never counts");
        Curves.Read("mine=" + Write("r2.json", Results), []).Single().Label.Should().Be("mine");
        Curves.Table([c], 400).Should().Contain("| dflare | 4 | 25 % | 25 % | 75 % | 75 % | 75 % | 75 % |");
    }

    [Fact]
    public void An_effectiveness_file_pools_the_chosen_pairs_per_strategy_and_bad_inputs_name_the_file()
    {
        var path = Write("effectiveness.json", """
            { "figure": "effectiveness", "pairs": [
              { "pair": "p1", "budget": 100, "strategies": [
                { "strategy": "dflare", "perSeed": [ { "id": "1", "status": "triggered", "queries": 5 }, { "id": "2", "status": "not-found", "queries": 100 } ] },
                { "strategy": "diffchaser", "perSeed": [ { "id": "1", "status": "triggered", "queries": 50 }, { "id": "2", "status": "triggered", "queries": 60 } ] } ] },
              { "pair": "p2", "budget": 100, "strategies": [
                { "strategy": "dflare", "perSeed": [ { "id": "1", "status": "triggered", "queries": 7 } ] } ] } ] }
            """);
        var all = Curves.Read("x:=" + path, []);
        all.Select(c => c.Label).Should().Equal("x: dflare", "x: diffchaser");
        all[0].Searched.Should().Be(3);
        all[0].TriggerQueries.Should().Equal(5, 7);
        Curves.Read(path, ["p2"]).Single().Searched.Should().Be(1);
        Curves.Read(path, [], ["diffchaser"]).Single().ShareBy(55).Should().Be(0.5);

        var missing = () => Curves.Read(Path.Combine(_dir, "none.json"), []);
        missing.Should().Throw<ArgumentException>().WithMessage("*none.json*no such file*");
        var other = () => Curves.Read(Write("other.json", """{ "figure": "ceiling" }"""), []);
        other.Should().Throw<ArgumentException>().WithMessage("*other.json*neither a results.json*");
    }

    [Fact]
    public void The_chart_is_a_png_of_the_requested_size_on_a_linear_or_log_axis()
    {
        var c = Curves.Read(Write("results.json", Results), []);
        foreach (var log in new[] { false, true })
        {
            var png = Path.Combine(_dir, $"chart-{log}.png");
            Curves.Draw(c, png, "test", 400, log);
            var bytes = File.ReadAllBytes(png);
            bytes.AsSpan(0, 8).ToArray().Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A);
            BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)).Should().Be(900, "IHDR width");
            BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)).Should().Be(560, "IHDR height");
            bytes.Length.Should().BeGreaterThan(10_000, "a drawn chart, not an empty canvas");
            File.Exists(png + ".tmp.png").Should().BeFalse("written atomically through a temporary file");
        }
    }
}
