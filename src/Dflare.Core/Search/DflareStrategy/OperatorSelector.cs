using Dflare.Search.Random;

namespace Dflare.Search.DflareStrategy;

/// <summary>
/// DFlare's choice of the next mutation operator by Metropolis–Hastings over operator ranks.
/// </summary>
/// <remarks>
/// <para>Operators are ranked by success ratio (successes / selections, 0 for a never-selected operator), best first,
/// ties broken at random. Given the rank k1 of the operator that produced the last <em>accepted</em> mutant, a rank k2
/// is proposed uniformly and accepted with probability <c>min(1, (1 − p)^(k2 − k1))</c>, <c>p = 1/n</c>; on rejection
/// a new k2 is drawn. Until the seed's first accepted mutant (and always in the <c>random-ops</c> ablation) the choice is
/// uniform. The public reference code always uses k1 = −1, which makes the choice independent of the last accepted
/// operator; this implements the rule as described.</para>
/// <para>With redraw-on-rejection the one-step law from k1 is <c>P(k2 | k1) = a(k1,k2) / Z(k1)</c> with
/// <c>a(i,j) = min(1, q^(j−i))</c>, <c>q = 1 − p</c>, <c>Z(i) = Σ_j a(i,j)</c>. Because <c>q^i·a(i,j)</c> is symmetric,
/// the chain is reversible with stationary law <c>π(k) ∝ q^k · Z(k)</c>, which decreases with k: top-ranked operators
/// are chosen most often.</para>
/// </remarks>
public sealed class OperatorSelector
{
    private readonly int[] _selections;
    private readonly int[] _successes;

    /// <summary>Creates a selector over <paramref name="count"/> operators.</summary>
    /// <param name="count">The number of operators.</param>
    /// <param name="metropolisHastings">False: every choice uniform (the <c>random-ops</c> ablation).</param>
    /// <param name="memoryless">True: draw ranks from k1 = −1 whatever the last accepted operator was, as the DFlare
    /// authors' shipped code does (rank k with probability ∝ (1 − p)^k once a mutant was accepted; see <see cref="Memoryless"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public OperatorSelector(int count, bool metropolisHastings = true, bool memoryless = false)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "Need at least one operator.");
        _selections = new int[count];
        _successes = new int[count];
        MetropolisHastings = metropolisHastings;
        Memoryless = memoryless;
    }

    /// <summary>Number of operators.</summary>
    public int Count => _selections.Length;
    /// <summary>False for the random-ops ablation (every choice uniform).</summary>
    public bool MetropolisHastings { get; }
    /// <summary>
    /// True for the shipped reference behaviour (<c>dflare-reference</c>): once a mutant was accepted, ranks are drawn from
    /// k1 = −1 instead of the last accepted operator's rank, so rank k is chosen with probability ∝ (1 − p)^k: a fixed
    /// geometric preference for the best-ranked operators, with no memory of the last accepted one. (Before the first
    /// accepted mutant the choice is uniform either way.)
    /// </summary>
    public bool Memoryless { get; }
    /// <summary>Times each operator was selected.</summary>
    public IReadOnlyList<int> Selections => _selections;
    /// <summary>Times each operator's mutant was kept.</summary>
    public IReadOnlyList<int> Successes => _successes;
    /// <summary>The operator that produced the last accepted mutant, if any.</summary>
    public int? LastAccepted { get; private set; }

    /// <summary>The success ratio of operator <paramref name="op"/> (0 when never selected).</summary>
    public double Ratio(int op) => _selections[op] == 0 ? 0 : (double)_successes[op] / _selections[op];

    /// <summary>Operator indices ordered by rank (best success ratio first); ties broken by a random permutation from <paramref name="rng"/>.</summary>
    public int[] Rank(Rng rng)
    {
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        rng.Shuffle(order.AsSpan());
        // Stable insertion sort by descending ratio over the shuffled order: equal ratios keep their random order.
        for (int i = 1; i < order.Length; i++)
        {
            int op = order[i];
            double r = Ratio(op);
            int j = i - 1;
            for (; j >= 0 && Ratio(order[j]) < r; j--) order[j + 1] = order[j];
            order[j + 1] = op;
        }
        return order;
    }

    /// <summary>Chooses the next operator (and counts the selection).</summary>
    public int Select(Rng rng)
    {
        int op;
        if (!MetropolisHastings || LastAccepted is not { } last) op = rng.NextInt(Count);
        else
        {
            var ranked = Rank(rng);
            int k1 = Memoryless ? -1 : Array.IndexOf(ranked, last);
            op = ranked[NextRank(k1, Count, rng)];
        }
        _selections[op]++;
        return op;
    }

    /// <summary>Records that <paramref name="op"/>'s mutant was accepted (a success; it becomes the last accepted operator).</summary>
    public void Credit(int op)
    {
        _successes[op]++;
        LastAccepted = op;
    }

    /// <summary>An independent copy with the same statistics and last accepted operator.</summary>
    public OperatorSelector Clone()
    {
        var c = new OperatorSelector(Count, MetropolisHastings, Memoryless);
        c.SetStatistics(_selections, _successes, LastAccepted);
        return c;
    }

    /// <summary>Sets the statistics directly (for tests).</summary>
    internal void SetStatistics(int[] selections, int[] successes, int? lastAccepted)
    {
        selections.CopyTo(_selections, 0);
        successes.CopyTo(_successes, 0);
        LastAccepted = lastAccepted;
    }

    /// <summary>
    /// One Metropolis–Hastings draw over ranks 0..n−1 from rank <paramref name="k1"/>: propose k2 uniformly, accept with
    /// probability <c>min(1, (1 − 1/n)^(k2 − k1))</c>, redraw on rejection. <paramref name="k1"/> = −1 (the reference
    /// code's) accepts every k2 with probability (1 − 1/n)^(k2 + 1), so k2 follows ∝ (1 − 1/n)^k2.
    /// </summary>
    public static int NextRank(int k1, int n, Rng rng)
    {
        double q = 1.0 - 1.0 / n;
        while (true)
        {
            int k2 = rng.NextInt(n);
            if (k2 <= k1) return k2; // probability min(1, q^(negative or 0)) = 1
            if (rng.NextDouble() < Math.Pow(q, k2 - k1)) return k2;
        }
    }

    /// <summary>The one-step law <c>P(k2 | k1)</c> of <see cref="NextRank"/> (k1 = −1 included).</summary>
    public static double[] TransitionProbabilities(int k1, int n)
    {
        double q = 1.0 - 1.0 / n;
        var a = Enumerable.Range(0, n).Select(k2 => Math.Min(1.0, Math.Pow(q, k2 - k1))).ToArray();
        double z = a.Sum();
        return a.Select(v => v / z).ToArray();
    }

    /// <summary>The stationary law of the rank chain: <c>π(k) ∝ q^k · Z(k)</c>.</summary>
    public static double[] StationaryDistribution(int n)
    {
        double q = 1.0 - 1.0 / n;
        var pi = Enumerable.Range(0, n).Select(k => Math.Pow(q, k) * Enumerable.Range(0, n).Sum(j => Math.Min(1.0, Math.Pow(q, j - k)))).ToArray();
        double s = pi.Sum();
        return pi.Select(v => v / s).ToArray();
    }
}
