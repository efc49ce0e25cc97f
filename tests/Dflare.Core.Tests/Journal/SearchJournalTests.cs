using System.Text.Json.Nodes;
using Dflare.Images;
using Dflare.Journal;
using Dflare.Search;

namespace Dflare.Tests.Journal;

public sealed class SearchJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dflare-journal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly JsonObject Settings = new() { ["budget"] = 2000, ["runSeed"] = 7, ["strategy"] = "dflare" };

    private static Image Picture(int seed, int channels)
    {
        var img = new Image(5, 4, channels);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i * 37 + seed);
        return img;
    }

    private static SeedSearchResult Triggered(string id, int index) => new()
    {
        SeedId = id, SeedIndex = index, TrueLabel = 2, Status = SearchStatus.Triggered, StopReason = "labels differ",
        Queries = 246, Iterations = 122, Seconds = 0.123456789, SeedOriginalLabel = 2, SeedCompressedLabel = 2,
        SeedImage = Picture(index, 3), Trigger = Picture(index + 1, 3),
        // Floats that only survive a round-trip format: the smallest subnormal, one ulp above 1/3, a long mantissa.
        SeedOriginalProbabilities = [float.Epsilon, 1f / 3f, 0.99999994f], SeedCompressedProbabilities = [1e-38f, BitConverter.Int32BitsToSingle(0x3EAAAAAB), 0.1f],
        OriginalLabel = 2, CompressedLabel = 1, OriginalProbabilities = [0.2f, 0.5f, 0.3f], CompressedProbabilities = [0.1f, 0.6f, 0.3f],
        L0 = 17, L2 = Math.PI * 100, LInf = 64, Ssim = 0.987654321012345,
        Mutations = [new MutationStep(4, "gaussian-noise"), new MutationStep(9, "box-blur")],
        OperatorStats = [new OperatorStat("gaussian-noise", 5, 2), new OperatorStat("box-blur", 3, 1)],
        TiesOrBelowMargin = 2,
    };

    private static SeedSearchResult NotFound(string id, int index) => new()
    {
        SeedId = id, SeedIndex = index, Status = SearchStatus.NotFound, StopReason = "budget spent", Queries = 2000, Iterations = 999,
        SeedOriginalLabel = 0, SeedCompressedLabel = 0, SeedImage = Picture(index, 1),
        SeedOriginalProbabilities = [0.7f, 0.3f], SeedCompressedProbabilities = [0.6f, 0.4f],
    };

    private static string Line(SeedSearchResult s) => SearchJournal.SeedJson.Write(s).ToJsonString();

    [Fact]
    public void Finished_seeds_read_back_exactly_with_their_images()
    {
        var seeds = new[] { Triggered("a", 0), NotFound("b", 1) };
        using (var j = SearchJournal.Start(_dir, Settings))
            foreach (var s in seeds) j.Add(s);

        using var resumed = SearchJournal.Resume(_dir, Settings);
        resumed.Seeds.Select(Line).Should().Equal(seeds.Select(Line));
        resumed.Seeds[0].SeedOriginalProbabilities.Should().Equal(seeds[0].SeedOriginalProbabilities, "floats round-trip bit for bit");
        resumed.Seeds[0].Trigger!.Pixels.Should().Equal(seeds[0].Trigger!.Pixels);
        resumed.Seeds[1].SeedImage.Channels.Should().Be(1);
        resumed.Seeds[1].SeedImage.Pixels.Should().Equal(seeds[1].SeedImage.Pixels);
    }

    [Fact]
    public void A_line_cut_short_by_a_kill_is_dropped_and_the_journal_goes_on_after_it()
    {
        using (var j = SearchJournal.Start(_dir, Settings)) j.Add(Triggered("a", 0));
        var path = SearchJournal.PathIn(_dir);
        File.AppendAllText(path, Line(NotFound("b", 1))[..40]); // killed in the middle of writing seed b

        using (var j = SearchJournal.Resume(_dir, Settings))
        {
            j.Seeds.Select(s => s.SeedId).Should().Equal("a");
            j.Add(NotFound("b", 1));
        }
        using var again = SearchJournal.Resume(_dir, Settings);
        again.Seeds.Select(s => s.SeedId).Should().Equal("a", "b");
    }

    [Fact]
    public void A_new_run_refuses_an_unfinished_journal_and_resume_refuses_other_settings()
    {
        using (var j = SearchJournal.Start(_dir, Settings)) j.Add(Triggered("a", 0));

        var start = () => SearchJournal.Start(_dir, Settings);
        start.Should().Throw<DflareException>().WithMessage("*unfinished search*1 seed(s) finished*continue it (SearchJournal.Resume)*");

        var other = (JsonObject)Settings.DeepClone();
        other["budget"] = 500;
        var resume = () => SearchJournal.Resume(_dir, other);
        resume.Should().Throw<DflareException>().WithMessage("*other settings (budget: 2000 → 500)*");
    }

    [Fact]
    public void Complete_removes_the_journal_and_resume_then_says_the_run_finished()
    {
        using (var j = SearchJournal.Start(_dir, Settings)) j.Complete();
        File.WriteAllText(Path.Combine(_dir, SearchReport.ResultsFile), "{}");
        var resume = () => SearchJournal.Resume(_dir, Settings);
        resume.Should().Throw<DflareException>().WithMessage("*has finished*nothing to continue*");
    }

    [Fact]
    public void A_partial_results_json_says_so_and_labels_its_rates_and_stale_pictures_go()
    {
        var run = new SearchRunResult { Settings = new SearchSettings(), Seeds = [Triggered("a", 0), NotFound("b", 1)] };
        var stale = Path.Combine(_dir, "triggers", "seed-old.png");
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        File.WriteAllBytes(stale, Picture(0, 1).EncodePng());
        var other = Path.Combine(_dir, "triggers", "notes.txt");
        File.WriteAllText(other, "kept: not a trigger picture");

        SearchResultsWriter.Write(run, _dir, new SearchReportContext(), new PartialRun(2, 10, "interrupted"));

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")))!.AsObject();
        json.Select(p => p.Key).Should().StartWith(["tool", "partial"]);
        json["partial"]!["seedsFinished"]!.GetValue<int>().Should().Be(2);
        json["partial"]!["seedsPlanned"]!.GetValue<int>().Should().Be(10);
        json["partial"]!["note"]!.GetValue<string>().Should().EndWith("resume the run from its journal for its results.", "Core names no CLI flag");
        var summary = json["summary"]!.AsObject();
        summary["partial"]!.GetValue<bool>().Should().BeTrue();
        foreach (var rate in SearchResultsWriter.RateFields)
        {
            summary.ContainsKey(rate).Should().BeFalse(rate);
            summary.ContainsKey("partial" + char.ToUpperInvariant(rate[0]) + rate[1..]).Should().BeTrue(rate);
        }
        summary["partialSuccessRate"]!.GetValue<double>().Should().Be(0.5);
        File.Exists(stale).Should().BeFalse("a picture results.json does not list is removed");
        File.Exists(other).Should().BeTrue();
        Directory.GetFiles(Path.Combine(_dir, "triggers"), "seed-*.png").Select(Path.GetFileName).Should().BeEquivalentTo(["seed-a.png", "seed-a-input.png"]);

        SearchResultsWriter.Write(run, _dir, new SearchReportContext());
        var complete = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")))!.AsObject();
        complete.ContainsKey("partial").Should().BeFalse();
        complete["summary"]!["successRate"]!.GetValue<double>().Should().Be(0.5);
    }

    [Fact]
    public void The_streamed_results_json_has_the_bytes_of_the_whole_document()
    {
        var run = new SearchRunResult { Settings = new SearchSettings(), Seeds = [Triggered("a", 0), NotFound("b ∞", 1)] };
        var context = new SearchReportContext { Original = "ö.onnx", ClassNames = ["t-shirt", "trouser", "pullover"] };
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        foreach (var partial in new[] { null, new PartialRun(2, 3, "interrupted") })
        {
            SearchResultsWriter.Write(run, _dir, context, partial);
            File.ReadAllText(Path.Combine(_dir, "results.json"))
                .Should().Be(SearchResultsWriter.ToJson(run, context, partial).ToJsonString(indented) + "\n");
        }
    }
}
