using Dflare.Check;
using Dflare.Reports;
using Dflare.Search;

namespace Dflare.Core.Tests.Reports;

public sealed class SearchStatusTests
{
    [Fact]
    public void Each_status_is_written_as_its_word_in_gate_results_and_read_back()
    {
        var statuses = new SearchStatus?[] { SearchStatus.Triggered, SearchStatus.NotFound, SearchStatus.AlreadyDeviating, SearchStatus.Replayed, null };
        var results = new GateResults
        {
            Cases = [new DeviationCaseRecord
            {
                Id = "c", TestClass = "T", TestMethod = "M", Original = "a.onnx", Compressed = "b.onnx",
                Seeds = statuses.Select((s, i) => new SeedRecord { Id = $"s{i}", Index = i, State = SeedState.Clean, Status = s }).ToList(),
            }],
        };
        var json = GateResultsStore.ToJson(results);
        foreach (var word in new[] { "\"status\": \"triggered\"", "\"status\": \"not-found\"", "\"status\": \"already-deviating\"", "\"status\": \"replayed\"" })
            json.Should().Contain(word);
        System.Text.RegularExpressions.Regex.Matches(json, "\"status\"").Count.Should().Be(4, "a seed without a status writes none");
        GateResultsStore.FromJson(json).Cases[0].Seeds.Select(s => s.Status).Should().Equal(statuses);
    }

    [Fact]
    public void A_status_word_that_is_not_one_is_an_error_naming_it()
    {
        var json = GateResultsStore.ToJson(new GateResults
        {
            Cases = [new DeviationCaseRecord { Id = "c", TestClass = "T", TestMethod = "M", Original = "a", Compressed = "b",
                Seeds = [new SeedRecord { Id = "s", State = SeedState.Clean, Status = SearchStatus.Triggered }] }],
        }).Replace("\"triggered\"", "\"found\"");
        ((Action)(() => GateResultsStore.FromJson(json))).Should().Throw<DflareException>().WithMessage("*'found' is not a search status*");
        SearchStatuses.Parse("found").Should().BeNull();
        foreach (var s in Enum.GetValues<SearchStatus>()) SearchStatuses.Parse(s.Word()).Should().Be(s);
    }
}
