using System.Globalization;

namespace Dflare.Search;

/// <summary>
/// Model queries per seed: one image evaluated on one model is one query, so one image on both models (what DFlare and
/// DiffChaser always send) costs 2, and a single-model probe 1 (<see cref="Cost"/>). A budget is at least
/// <see cref="Minimum"/> (the seed itself on both models), checked by <see cref="Validate"/> with one wording. The
/// search's default is <see cref="SearchDefault"/>; the gate's is <see cref="Check.CheckDefaults.Budget"/>.
/// </summary>
/// <param name="Queries">The number of model queries.</param>
public readonly record struct QueryBudget(long Queries)
{
    /// <summary>The smallest budget: one image (the seed) on both models.</summary>
    public const long Minimum = 2;

    /// <summary>
    /// The default of a search (<see cref="SearchSettings.Budget"/>, <c>dflare search</c>, <c>dflare demo</c>): 2,000
    /// queries per seed, the DFlare paper's kind of budget. The gate has its own (<see cref="Check.CheckDefaults.Budget"/>).
    /// </summary>
    public const long SearchDefault = 2000;

    /// <summary>The budget of <paramref name="queries"/> queries.</summary>
    public static implicit operator QueryBudget(long queries) => new(queries);

    /// <summary>The number of queries.</summary>
    public static implicit operator long(QueryBudget budget) => budget.Queries;

    /// <summary>What one image costs sent to <paramref name="target"/>: 1 query per model it goes to.</summary>
    public static int Cost(QueryTarget target) => target == QueryTarget.Both ? 2 : 1;

    /// <summary>How many more images on both models fit after <paramref name="spent"/> queries (0 when none).</summary>
    public long ImagesLeft(long spent) => Math.Max(0, Queries - spent) / Cost(QueryTarget.Both);

    /// <summary>The share <paramref name="fraction"/> of the budget, rounded down (e.g. the shrinking budget).</summary>
    public long Share(double fraction) => (long)(fraction * Queries);

    /// <summary>The one rule, in words: <c>at least 2 model queries (one image on both models)</c>.</summary>
    public static string Rule { get; } = $"at least {Minimum} model queries (one image on both models)";

    /// <summary>Checks the rule; the message names <paramref name="setting"/> (e.g. <c>Budget</c>).</summary>
    /// <exception cref="SettingException">Fewer than <see cref="Minimum"/> queries.</exception>
    public void Validate(string setting)
    {
        if (Queries < Minimum) throw new SettingException($"{setting} must be {Rule}; got {Queries.ToString(CultureInfo.InvariantCulture)}.", setting);
    }

    /// <summary>The number of queries, e.g. <c>2000</c>.</summary>
    public override string ToString() => Queries.ToString(CultureInfo.InvariantCulture);
}
