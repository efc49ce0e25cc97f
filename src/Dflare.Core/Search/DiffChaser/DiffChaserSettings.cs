namespace Dflare.Search.DiffChaser;

/// <summary>
/// Parameters of the DiffChaser genetic algorithm. The defaults (population 10, mutation rate 0.1, step 64) were chosen by
/// a grid over population × mutation rate × step on CIFAR-10 test images 100–129 with the resnet8 pair, which are not part
/// of the reported benchmark (see <c>docs/search.md</c>).
/// </summary>
public sealed record DiffChaserSettings
{
    /// <summary>Individuals per generation (the initial population is this many mutants of the seed). Default 10.</summary>
    public int Population { get; init; } = 10;

    /// <summary>Probability that a value (one channel of one pixel) is mutated in a child (and in each initial mutant). Default 0.1.</summary>
    public double MutationRate { get; init; } = 0.1;

    /// <summary>A mutated value moves by a uniform integer in [−step, +step] pixel levels (then clipped to 0..255). Default 64.</summary>
    public int MutationStep { get; init; } = 64;

    /// <summary>Probability that a child is made by regional crossover of two parents (otherwise it copies one parent). Default 0.9.</summary>
    public double CrossoverRate { get; init; } = 0.9;

    /// <summary>Individuals drawn per tournament when choosing a parent. Default 2.</summary>
    public int TournamentSize { get; init; } = 2;

    /// <summary>Weight of the uncertainty term (the deviating model's margin between the shared label and its runner-up) in the fitness. Default 1.</summary>
    public double UncertaintyWeight { get; init; } = 1.0;

    /// <summary>How a message names these settings: <c>DiffChaser</c>, the property of <see cref="SearchSettings"/>.</summary>
    private const string Name = nameof(SearchSettings.DiffChaser);

    /// <summary>Checks the values.</summary>
    /// <exception cref="SettingException">A value is out of range (the message names it, e.g. <c>DiffChaser.Population</c>).</exception>
    public void Validate()
    {
        if (Population < 2) throw new SettingException($"{Name}.Population must be at least 2 (got {Population}).", $"{Name}.Population");
        if (!(MutationRate >= 0 && MutationRate <= 1)) throw new SettingException($"{Name}.MutationRate must be in [0, 1] (got {MutationRate}).", $"{Name}.MutationRate");
        if (MutationStep is < 1 or > 255) throw new SettingException($"{Name}.MutationStep must be 1..255 pixel levels (got {MutationStep}).", $"{Name}.MutationStep");
        if (!(CrossoverRate >= 0 && CrossoverRate <= 1)) throw new SettingException($"{Name}.CrossoverRate must be in [0, 1] (got {CrossoverRate}).", $"{Name}.CrossoverRate");
        if (TournamentSize < 1) throw new SettingException($"{Name}.TournamentSize must be at least 1 (got {TournamentSize}).", $"{Name}.TournamentSize");
        if (!(UncertaintyWeight >= 0) || !double.IsFinite(UncertaintyWeight)) throw new SettingException($"{Name}.UncertaintyWeight must be ≥ 0 (got {UncertaintyWeight}).", $"{Name}.UncertaintyWeight");
    }
}
