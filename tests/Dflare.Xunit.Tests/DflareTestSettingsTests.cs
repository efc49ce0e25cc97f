namespace Dflare.Xunit.Tests;

/// <summary>The run-wide budget override (DflareBudget / DFLARE_BUDGET) is checked by the one rule of QueryBudget.</summary>
public sealed class DflareTestSettingsTests
{
    private static DflareTestSettings Read(string budget) =>
        DflareTestSettings.Read(typeof(DflareTestSettingsTests).Assembly, name => name == "DFLARE_BUDGET" ? budget : null);

    [Fact]
    public void The_budget_override_is_read_and_checked_with_the_query_budget_rule()
    {
        Read("500").Budget.Should().Be(500);
        Read("2").Budget.Should().Be(2);
        FluentActions.Invoking(() => Read("1")).Should().Throw<SettingException>()
            .WithMessage("DflareBudget must be at least 2 model queries (one image on both models); got 1.");
        FluentActions.Invoking(() => Read("lots")).Should().Throw<DflareException>()
            .WithMessage("DflareBudget 'lots' must be a whole number of model queries per seed, at least 2 model queries*");
    }
}
