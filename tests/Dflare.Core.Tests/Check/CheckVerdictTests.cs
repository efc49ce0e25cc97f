using Dflare.Check;

namespace Dflare.Core.Tests.Check;

/// <summary>The verdict's message: what it tells a team to do next.</summary>
public sealed class CheckVerdictTests
{
    private static CheckVerdict Verdict(int newCount, int clean) => new()
    {
        Settings = new CheckSettings { Original = "/m/resnet8.onnx", Compressed = "/m/resnet8-int8.onnx", Seeds = "/d/seeds" },
        Findings = Enumerable.Range(0, newCount + clean).Select(i => new SeedFinding
        {
            SeedId = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Index = i, State = i < newCount ? SeedState.New : SeedState.Clean,
            SeedOriginalLabel = 1, SeedCompressedLabel = 1, TrueLabel = 1,
            OriginalLabel = i < newCount ? 1 : null, CompressedLabel = i < newCount ? 2 : null, OriginalMargin = 0.2, CompressedMargin = 0.15,
        }).ToList(),
    };

    [Fact]
    public void When_most_seeds_deviate_the_message_says_it_is_the_model_and_names_the_ways_on()
    {
        var many = Verdict(newCount: 194, clean: 6);
        many.ManyNew.Should().BeTrue();
        many.Passed.Should().BeFalse();
        many.Message.Should().Contain("194 of 200 seeds deviate").And.Contain("…and 184 more").And.Contain(CheckVerdict.ManyNewHint)
            .And.Contain("dflare repair").And.Contain("DflareMaxDeviationRate");
    }

    [Theory]
    [InlineData(3, 197)] // a few cases: each is worth a look, no hint
    [InlineData(8, 2)]   // most seeds, but all listed in the message
    public void A_few_new_deviations_get_no_such_hint(int newCount, int clean)
    {
        var v = Verdict(newCount, clean);
        v.ManyNew.Should().BeFalse();
        v.Message.Should().NotContain("Most seeds deviate").And.Contain($"{newCount} new");
    }
}
