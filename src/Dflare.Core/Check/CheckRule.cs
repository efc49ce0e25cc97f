namespace Dflare.Check;

/// <summary>How many seeds of a check (or of a pair, over several cases) ended in each <see cref="SeedState"/>.</summary>
/// <param name="Clean">Clean seeds.</param>
/// <param name="Known">Known deviations.</param>
/// <param name="New">New deviations.</param>
/// <param name="Changed">Changed deviations.</param>
/// <param name="Fixed">Fixed deviations.</param>
/// <param name="Error">Seeds that could not be checked.</param>
public sealed record StateCounts(int Clean, int Known, int New, int Changed, int Fixed, int Error)
{
    /// <summary>Counts the states of <paramref name="states"/>.</summary>
    public static StateCounts Of(IEnumerable<SeedState> states)
    {
        var n = new int[6];
        foreach (var s in states) n[(int)s]++;
        return new StateCounts(n[0], n[1], n[2], n[3], n[4], n[5]);
    }

    /// <summary>Every seed.</summary>
    public int Seeds => Clean + Known + New + Changed + Fixed + Error;
    /// <summary>Seeds that were checked (all but errors): the denominator of the rate.</summary>
    public int Checked => Seeds - Error;
    /// <summary>Seeds whose input deviates now: known, new and changed.</summary>
    public int Deviating => Known + New + Changed;
    /// <summary>Deviating / checked seeds (0 when none was checked).</summary>
    public double Rate => Checked == 0 ? 0 : (double)Deviating / Checked;
    /// <summary>The 95 % Wilson score interval of <see cref="Rate"/>.</summary>
    public (double Low, double High) RateInterval => CheckRule.Wilson(Deviating, Checked);

    /// <summary>The count of one state.</summary>
    public int this[SeedState state] => state switch
    {
        SeedState.Clean => Clean, SeedState.Known => Known, SeedState.New => New,
        SeedState.Changed => Changed, SeedState.Fixed => Fixed, _ => Error,
    };

    /// <summary><c>2 known, 1 new, 0 changed, 3 fixed</c> (errors only when there are some).</summary>
    public string Describe() =>
        $"{Known} known, {New} new, {Changed} changed, {Fixed} fixed" + (Error > 0 ? $", {Error} error(s)" : "");
}

/// <summary>What makes a check fail, besides errors and changed deviations (which always fail).</summary>
/// <param name="AllowedDeviations">New deviations tolerated before the check fails (ignored with <paramref name="MaxDeviationRate"/>).</param>
/// <param name="MaxDeviationRate">When set, the check fails only when the deviation rate is above it (instead of on new deviations).</param>
/// <param name="FailOnFixed">Fixed deviations fail too (for teams that want to re-review them).</param>
public sealed record CheckPolicy(int AllowedDeviations = 0, double? MaxDeviationRate = null, bool FailOnFixed = false);

/// <summary>The one rule for "fails the check", and the rate's confidence interval.</summary>
public static class CheckRule
{
    /// <summary>
    /// True when a check with these counts fails: any error, any changed deviation, fixed ones with
    /// <see cref="CheckPolicy.FailOnFixed"/>, and then either a deviation rate above <see cref="CheckPolicy.MaxDeviationRate"/>
    /// or, without one, more new deviations than <see cref="CheckPolicy.AllowedDeviations"/>.
    /// </summary>
    public static bool Fails(StateCounts counts, CheckPolicy policy)
    {
        if (counts.Error > 0 || counts.Changed > 0) return true;
        if (policy.FailOnFixed && counts.Fixed > 0) return true;
        return policy.MaxDeviationRate is { } max ? counts.Rate > max : counts.New > policy.AllowedDeviations;
    }

    /// <summary>True when a seed in this state is one the check complains about (listed first, failing in reports).</summary>
    public static bool IsProblem(SeedState state, CheckPolicy policy) =>
        state is SeedState.New or SeedState.Changed or SeedState.Error || (state == SeedState.Fixed && policy.FailOnFixed);

    /// <summary>The 95 % Wilson score interval for <paramref name="successes"/> of <paramref name="trials"/> (0–1 both; [0, 1] for no trials).</summary>
    public static (double Low, double High) Wilson(int successes, int trials)
    {
        if (trials <= 0) return (0, 1);
        const double z = 1.959963984540054;
        double n = trials, p = successes / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
        return (successes == 0 ? 0 : Math.Max(0, centre - half), successes == trials ? 1 : Math.Min(1, centre + half));
    }
}
