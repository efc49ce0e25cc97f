namespace Dflare.Attacks;

/// <summary>
/// The Square Attack's square sizes (Andriushchenko et al., ECCV 2020): the share p of the image a square covers,
/// which halves on the paper's fixed schedule as the budget is spent, and the square's side for that share. Both the
/// robustness attack (<see cref="SquareAttack"/>) and the deviation strategy <c>square</c>
/// (<see cref="Search.Square.SquareSearch"/>) size their squares here.
/// </summary>
public static class SquareSchedule
{
    // The paper's marks, in 1/10,000 of the budget (stated for 10,000 queries): p halves after each one is passed.
    private static ReadOnlySpan<int> Marks => [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];

    /// <summary>
    /// The share of the image a square covers after <paramref name="spent"/> of <paramref name="budget"/> steps:
    /// <paramref name="pInit"/>, halved each time the spent share of the budget passes 0.1 %, 0.5 %, 2 %, 5 %, 10 %,
    /// 20 %, 40 %, 60 % and 80 % (the paper's schedule, stated for 10,000 queries, rescaled to the budget; the spent
    /// share is taken in whole 1/10,000s, rounded down).
    /// </summary>
    /// <param name="pInit">The share at the start, 0 &lt; p ≤ 1.</param>
    /// <param name="spent">Steps (queries) spent so far.</param>
    /// <param name="budget">Steps the schedule is laid out for (at least 1 is assumed).</param>
    public static double Share(double pInit, long spent, long budget)
    {
        long t = spent * 10000 / Math.Max(1, budget);
        double p = pInit;
        foreach (var m in Marks) if (t > m) p /= 2;
        return p;
    }

    /// <summary>
    /// The side of a square covering <paramref name="share"/> of a <paramref name="height"/>×<paramref name="width"/>
    /// image: round(√(p·H·W)), at least 1 and at most min(H, W) − 1 (so a square always has somewhere to move), or 1 on
    /// an image 1 pixel high or wide.
    /// </summary>
    public static int Side(double share, int height, int width)
    {
        int side = (int)Math.Round(Math.Sqrt(share * height * width));
        return Math.Clamp(side, 1, Math.Max(1, Math.Min(height, width) - 1));
    }
}
