using Dflare.Check;
using Dflare.Search;
using Dflare.Search.DiffChaser;
using Dflare.Search.Square;

namespace Dflare.Tests.Search;

/// <summary>Core's messages name settings as the library calls them, never a command-line flag.</summary>
public sealed class SettingMessagesTests
{
    public static TheoryData<string, Action> BadSettings() => new()
    {
        { "Budget", () => new SearchSettings { Budget = 1 }.Validate() },
        { "TimeLimit", () => new SearchSettings { TimeLimit = TimeSpan.Zero }.Validate() },
        { "MinMargin", () => new SearchSettings { MinMargin = 1 }.Validate() },
        { "LockStep", () => new SearchSettings { LockStep = 0 }.Validate() },
        { "Threads", () => new SearchSettings { Threads = 0 }.Validate() },
        { "ShrinkFraction", () => new SearchSettings { ShrinkFraction = 1.5 }.Validate() },
        { "MaxLInf", () => new SearchSettings { Bound = new DistortionBound { MaxLInf = 256 } }.Validate() },
        { "MinSsim", () => new SearchSettings { Bound = new DistortionBound { MinSsim = 2 } }.Validate() },
        { "Square.PInit", () => new SearchSettings { Square = new SquareSettings { PInit = 0 } }.Validate() },
        { "DiffChaser.TournamentSize", () => new SearchSettings { DiffChaser = new DiffChaserSettings { TournamentSize = 0 } }.Validate() },
        { "Budget", () => new CheckSettings { Original = "a.onnx", Compressed = "b.onnx", Seeds = "seeds", Budget = 0 }.Validate() },
        { "Shard", () => new CheckSettings { Original = "a.onnx", Compressed = "b.onnx", Seeds = "seeds", Shard = (3, 2) }.Validate() },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_bad_setting_is_named_as_the_library_calls_it(string setting, Action validate)
    {
        var e = validate.Should().Throw<SettingException>().Which;
        e.Settings.Should().Equal(setting);
        e.Message.Should().StartWith(setting + " must").And.NotContain("--");
    }

    [Fact]
    public void Rename_replaces_whole_setting_names_only()
    {
        var e = new SettingException("MinMargin must be in [0, 1); Budget and MinMarginal and X.MinMargin stay.", "MinMargin", "Budget");

        e.Rename(s => s == "MinMargin" ? "--min-margin" : null)
            .Should().Be("--min-margin must be in [0, 1); Budget and MinMarginal and X.MinMargin stay.");
    }
}
