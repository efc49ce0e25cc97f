using System.CommandLine;
using Dflare.Datasets;

namespace Dflare.Cli.Commands;

/// <summary>
/// The seed options of the commands that attack or analyse a model on seed images (<c>quanos</c>, <c>robustness</c>):
/// <c>--seeds</c>, <c>--labels</c>, <c>--limit</c>, <c>--offset</c> and <c>--sample</c>.
/// </summary>
internal sealed class SeedOptionSet
{
    public Option<string> Seeds { get; } = new("--seeds") { Description = "Seed images: a folder (with optional labels.csv), an IDX file or a CIFAR-10 .bin file.", Required = true };
    public Option<string?> Labels { get; } = new("--labels") { Description = "Labels file (IDX labels or CSV) if not found beside the seeds." };
    public Option<int?> Limit { get; } = new("--limit") { Description = "Use at most N seeds." };
    public Option<int> Offset { get; } = new("--offset") { Description = "Skip the first N seeds.", DefaultValueFactory = _ => 0 };
    public Option<int?> Sample { get; } = new("--sample") { Description = "Use N seeds sampled across the classes (deterministic; instead of --offset/--limit)." };

    /// <summary>The options, in the order they are listed in help.</summary>
    public IEnumerable<Option> All => [Seeds, Labels, Limit, Offset, Sample];

    /// <summary>Opens the seed source named by <c>--seeds</c> (and <c>--labels</c>).</summary>
    public SeedSource Open(ParseResult r) => SeedSource.Open(r.GetValue(Seeds)!, r.GetValue(Labels));

    /// <summary>Reads the seeds selected by <c>--offset</c> and <c>--limit</c>, or <c>--sample</c>; throws when there are none to <paramref name="verb"/>.</summary>
    public IReadOnlyList<Seed> Load(ParseResult r, SeedSource source, string verb)
    {
        var list = source.Enumerate(source.Select(r.GetValue(Offset), r.GetValue(Limit), r.GetValue(Sample), runSeed: 0)).ToList();
        if (list.Count == 0) throw new DflareException($"No seeds to {verb} in '{source.Path}' (offset {r.GetValue(Offset)}, {source.Count} seeds).");
        return list;
    }
}
