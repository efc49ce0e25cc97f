using Dflare.Attacks;

namespace Dflare.Tests.Attacks;

/// <summary>The Square Attack's square sizes, shared by the robustness attack and the <c>square</c> deviation strategy.</summary>
public sealed class SquareScheduleTests
{
    [Fact]
    public void The_share_halves_after_each_mark_of_the_papers_schedule()
    {
        SquareSchedule.Share(0.1, 0, 1000).Should().Be(0.1);
        SquareSchedule.Share(0.1, 1, 1000).Should().Be(0.1, "10 of 10,000: not yet past the first mark");
        SquareSchedule.Share(0.1, 2, 1000).Should().Be(0.05);
        SquareSchedule.Share(0.1, 999, 1000).Should().Be(0.1 / 512);
        SquareSchedule.Share(0.3, 0, 2000).Should().Be(0.3);
        SquareSchedule.Share(0.3, 1999, 2000).Should().Be(0.3 / 512);
        SquareSchedule.Share(0.3, 5, 0).Should().Be(0.3 / 512, "a budget below 1 counts as 1");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(300)]
    [InlineData(1000)]
    [InlineData(2999)]
    [InlineData(20_000)]
    public void The_share_is_the_papers_table_read_at_the_spent_fraction_rounded_down(int budget)
    {
        // The table as the paper states it for 10,000 queries: p_init up to iteration 10, p_init/2 up to 50, and so on.
        static double Table(double p, long step, long steps) => (long)(step * 10000.0 / steps) switch
        {
            <= 10 => p, <= 50 => p / 2, <= 200 => p / 4, <= 500 => p / 8, <= 1000 => p / 16,
            <= 2000 => p / 32, <= 4000 => p / 64, <= 6000 => p / 128, <= 8000 => p / 256, _ => p / 512,
        };
        for (long step = 0; step <= budget; step++)
            SquareSchedule.Share(0.3, step, budget).Should().Be(Table(0.3, step, budget), $"step {step} of {budget}");
    }

    [Fact]
    public void The_side_covers_the_share_and_always_leaves_room_to_move()
    {
        SquareSchedule.Side(0.3, 28, 28).Should().Be(15, "√(0.3·784) = 15.3");
        SquareSchedule.Side(0.3, 32, 32).Should().Be(18, "√(0.3·1024) = 17.5");
        SquareSchedule.Side(1, 28, 28).Should().Be(27, "at most one less than the image's side");
        SquareSchedule.Side(0.3 / 512, 28, 28).Should().Be(1, "at least one pixel");
        SquareSchedule.Side(0.5, 1, 10).Should().Be(1);
        SquareSchedule.Side(0.5, 16, 40).Should().Be(15, "√(0.5·640) = 17.9, capped by the shorter side");
    }
}
